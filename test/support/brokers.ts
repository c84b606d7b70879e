import os from "node:os";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { type AppConfig, loadConfig } from "../../config";
import { brokerOptions } from "../../wiring/broker-options";
import { testNamespace, uniqueId } from "./test-namespaces";

export { uniqueId } from "./test-namespaces";

/**
 * A config as a node would read it, from defaults plus `env`; quiet logs, no metrics port, and no
 * rate limit on `/api/auth` (every test calls from 127.0.0.1; the rate-limit spec turns it on).
 */
export function testConfig(env: Record<string, string> = {}): AppConfig {
	return loadConfig({
		NODE_ENV: "test",
		LOG_LEVEL: "warn",
		METRICS_ENABLED: "false",
		RATE_LIMIT_AUTH: "0",
		PORT: "0",
		DATA_DIR: path.join(os.tmpdir(), `shop-test-${uniqueId()}`),
		NAMESPACE: testNamespace("test"),
		...env,
	});
}

/** Starts a broker built exactly as a node builds it, with the given services. */
export async function startBroker(config: AppConfig, services: ServiceSchema[] = []): Promise<ServiceBroker> {
	const broker = new ServiceBroker(brokerOptions(config));
	for (const schema of services) broker.createService(schema);
	await broker.start();
	return broker;
}

/**
 * Starts one bench baseline service in its own node, built exactly like a shop node
 * (brokerOptions(loadConfig(env))), so a baseline pays the same transport, middleware and
 * validation costs as the inventory. BENCH_BASELINE=lock|conditional|noop picks the service.
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import type { AppConfig } from "../../config";
import { loadConfig } from "../../config";
import { brokerOptions } from "../../wiring/broker-options";
import conditionalBaselineService from "../baselines/conditional-baseline.service";
import lockBaselineService from "../baselines/lock-baseline.service";
import noopBaselineService from "../baselines/noop-baseline.service";

const BASELINES: Record<string, (config: AppConfig) => ServiceSchema> = {
	lock: lockBaselineService,
	conditional: conditionalBaselineService,
	noop: noopBaselineService,
};

async function main(): Promise<void> {
	const config = loadConfig(process.env);
	const factory = BASELINES[process.env.BENCH_BASELINE ?? ""];
	if (!factory) throw new Error(`BENCH_BASELINE must be one of ${Object.keys(BASELINES).join(", ")}`);

	const broker = new ServiceBroker(brokerOptions(config));
	broker.createService(factory(config));
	await broker.start();

	const stop = async () => {
		await broker.stop();
		process.exit(0);
	};
	process.once("SIGTERM", () => void stop());
	process.once("SIGINT", () => void stop());
}

main().catch((err: Error) => {
	process.stderr.write(`[baseline] failed to start: ${err.message}\n`);
	process.exit(1);
});

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";

const WEBHOOK_PATH = "/api/payments/webhook";

/** A listening address as a URL host: the loopback for a wildcard bind, brackets for IPv6. */
function hostOf(address: AddressInfo): string {
	if (address.address === "0.0.0.0" || address.address === "::") return "127.0.0.1";
	return address.family === "IPv6" ? `[${address.address}]` : address.address;
}

/**
 * Where the sandbox posts webhooks: `PAYMENTS_WEBHOOK_URL` when set; else this node's own gateway on
 * the port it actually listens on (PORT=0 in tests picks a free one, known only once it listens); else
 * the configured HOST:PORT, where a gateway of the deployment is expected.
 */
export function webhookUrlOf(broker: ServiceBroker, config: AppConfig): string {
	if (config.payments.webhookUrl) return config.payments.webhookUrl;
	const gateway = broker.getLocalService("api") as unknown as { server?: Server } | undefined;
	const address = gateway?.server?.address();
	if (address && typeof address === "object") {
		return `http://${hostOf(address)}:${address.port}${WEBHOOK_PATH}`;
	}
	return `http://${config.http.host}:${config.http.port}${WEBHOOK_PATH}`;
}

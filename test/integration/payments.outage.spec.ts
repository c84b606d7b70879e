/**
 * The outage drill on a cluster: two payments nodes and an edge over NATS (MariaDB, in-process events
 * per node). The toggle sent to one node reaches the provider client of every payments node.
 */
import type { ServiceBroker } from "moleculer";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import paymentsService from "../../services/payments/payments.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { api, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { METRICS_ON, metricTotal } from "../support/metrics";
import { testNamespace } from "../support/test-namespaces";

describe("payments outage mode on two nodes over NATS", () => {
	const clusterEnv = {
		NAMESPACE: testNamespace("cluster"),
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		...METRICS_ON,
	};
	let edge: ServiceBroker;
	let nodes: ServiceBroker[];

	beforeAll(async () => {
		const edgeConfig = testConfig({ ...clusterEnv, NODE_ID: `edge-${uniqueId()}`, SERVICES: "gateway,auth" });
		const nodeConfigs = [1, 2].map((n) =>
			testConfig({ ...clusterEnv, NODE_ID: `pay${n}-${uniqueId()}`, SERVICES: "payments" }),
		);
		[edge, ...nodes] = await Promise.all([
			startBroker(edgeConfig, [gatewayService(edgeConfig), authService(edgeConfig)]),
			...nodeConfigs.map((config) => startBroker(config, [paymentsService(config)])),
		]);
		await waitFor("both payments nodes", () =>
			edge.registry.getServiceList({ onlyAvailable: true }).filter((s: { name: string }) => s.name === "payments")
				.length === 2
				? true
				: undefined,
		);
	}, 60_000);
	afterAll(async () => {
		await Promise.all([edge?.stop(), ...(nodes ?? []).map((n) => n.stop())]);
	});

	const modeOf = (node: ServiceBroker) =>
		edge.call<{ enabled: boolean }, object>("payments.outageMode", {}, { nodeID: node.nodeID });

	it("when an operator switches outage mode on one node, then every payments node follows, and back", async () => {
		const base = gatewayBaseUrl(edge);
		const admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, edge.options.appConfig!.auth);
		const headers = { authorization: `Bearer ${admin}` };
		for (const enabled of [true, false]) {
			const res = await api(base, "POST", `/api/payments/provider/outage-mode?enabled=${enabled}`, undefined, headers);
			expect(res).toMatchObject({ status: 200, body: { enabled } });
			for (const node of nodes) {
				await waitFor(`${node.nodeID} to follow`, async () =>
					(await modeOf(node)).enabled === enabled ? true : undefined,
				);
			}
		}
		const toggles = nodes.reduce((sum, n) => sum + metricTotal(n, "payment_provider_outage_toggle_total"), 0);
		expect(toggles).toBe(2);
	});
});

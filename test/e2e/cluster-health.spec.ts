/**
 * Health tells this node's readiness from the cluster's: when the only node running a service goes, the
 * gateway's `/api/health` stays 200 `UP` (the gateway itself is ready) and its `cluster` section names
 * the service that is gone and the node that ran it. Before, it said nothing: a node that crashed on
 * start went unnoticed while `/api/health` answered 200.
 */
import { uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { gatewayUrl, NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

interface Health {
	status: string;
	nodes: Array<{ id: string; available: boolean; services: string[] }>;
	cluster: {
		status: string;
		expected: string[];
		unavailable: Array<{ service: string; lastSeenOn: string[]; unavailableSince: string }>;
	};
}

describe("cluster health on the gateway", () => {
	const nodes: NodeProcess[] = [];
	afterAll(async () => {
		await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
	});

	function start(env: Record<string, string>): NodeProcess {
		const node = NodeProcess.start(env);
		nodes.push(node);
		return node;
	}

	it("when the only inventory node stops, then health stays 200 UP and its cluster section reports inventory gone, until one is back", async () => {
		const cluster = { TRANSPORTER: infra.natsUrl, NAMESPACE: testNamespace("e2e") };
		const edge = start({ ...cluster, NODE_ID: `edge-${uniqueId()}`, SERVICES: "gateway", PORT: "0" });
		const workerId = `worker-${uniqueId()}`;
		const worker = start({ ...cluster, NODE_ID: workerId, SERVICES: "inventory" });
		const url = await gatewayUrl(edge);
		const health = async () => {
			const res = await fetch(`${url}/api/health`);
			return { httpStatus: res.status, body: (await res.json()) as Health };
		};
		const until = (what: string, ok: (h: Health) => boolean) =>
			waitFor(what, async () => {
				const h = await health();
				return ok(h.body) ? h : undefined;
			});

		const complete = await until("the worker's inventory", (h) => h.cluster.expected.includes("inventory"));
		expect(complete.httpStatus).toBe(200);
		expect(complete.body.cluster).toEqual({ status: "COMPLETE", expected: ["api", "inventory"], unavailable: [] });

		expect(await worker.stop("SIGTERM")).toBe(0);
		const degraded = await until("inventory reported gone", (h) => h.cluster.unavailable.length > 0);
		expect(degraded.httpStatus).toBe(200);
		expect(degraded.body.status).toBe("UP");
		expect(degraded.body.cluster).toEqual({
			status: "DEGRADED",
			expected: ["api", "inventory"],
			unavailable: [{ service: "inventory", lastSeenOn: [workerId], unavailableSince: expect.any(String) }],
		});

		start({ ...cluster, NODE_ID: `worker-${uniqueId()}`, SERVICES: "inventory" });
		const back = await until("inventory back", (h) => h.cluster.status === "COMPLETE");
		expect(back.body.cluster.unavailable).toEqual([]);
	}, 120_000);
});

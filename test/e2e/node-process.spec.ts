import { uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { gatewayUrl, NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

const nodes: NodeProcess[] = [];
afterEach(async () => {
	await Promise.all(nodes.splice(0).map((n) => n.stop("SIGKILL")));
});

function start(env: Record<string, string>, args: string[] = []): NodeProcess {
	const node = NodeProcess.start(env, args);
	nodes.push(node);
	return node;
}

describe("a node process", () => {
	it("when started with no configuration, then the embedded shop serves /api/health within 60 s", async () => {
		const startedAt = Date.now();
		const node = start({ PORT: "0" });
		const url = await gatewayUrl(node);
		const res = await fetch(`${url}/api/health`);
		expect(res.status).toBe(200);
		expect(Date.now() - startedAt).toBeLessThan(60_000);
		expect(await res.json()).toMatchObject({ status: "UP", dependencies: { database: { kind: "sqlite" } } });
		const signup = await fetch(`${url}/api/auth/signup`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email: `e2e-${uniqueId()}@example.com`, password: "a long enough password" }),
		});
		expect(signup.status).toBe(201);
		expect(signup.headers.get("location")).toBe("/api/users/me");
		const { accessToken } = (await signup.json()) as { accessToken: string };
		const demo = await fetch(`${url}/api/inventory/stock/DEMO-MUG`, {
			headers: { "x-api-version": "v1", authorization: `Bearer ${accessToken}` },
		});
		expect(await demo.json()).toMatchObject({ sku: "DEMO-MUG", available: 50, reserved: 0 });
		const catalog = await fetch(`${url}/api/products?sort=name`, { headers: { "x-api-version": "v1" } });
		expect(((await catalog.json()) as { items: Array<{ sku: string }> }).items.map((p) => p.sku)).toEqual([
			"DEMO-MUG",
			"DEMO-POSTER",
			"DEMO-TSHIRT",
		]);
		expect(await node.stop("SIGTERM")).toBe(0);
		// A healthy first start warns of nothing (the demo catalog's events used to warn "Adapter not yet
		// connected", and Sequelize that SQLite has no LONGTEXT).
		const warnings = node
			.text()
			.split("\n")
			.filter((line) => /"level":"(warn|error|fatal)"|Warning/.test(line));
		expect(warnings).toEqual([]);
	});

	it("when TRANSPORTER has an unknown scheme, then it exits 2 with one line naming the variable", async () => {
		const node = start({ TRANSPORTER: "amqp://127.0.0.1:5672" });
		expect(await node.waitForExit()).toBe(2);
		const lines = node.text().trim().split("\n");
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(/^\[shop\] invalid configuration: TRANSPORTER: unsupported scheme "amqp:\/\/"/);
	});

	it("when SERVICES names an unknown service, then it exits 2 naming it", async () => {
		const node = start({ SERVICES: "gateway,warehouse" });
		expect(await node.waitForExit()).toBe(2);
		expect(node.text()).toMatch(/SERVICES: unknown service\(s\) warehouse/);
	});

	it("when the gateway port is taken, then it exits 1 with a one-line reason", async () => {
		const first = start({ PORT: "0" });
		const port = new URL(await gatewayUrl(first)).port;
		const second = start({ PORT: port });
		expect(await second.waitForExit()).toBe(1);
		const last = second.text().trim().split("\n").at(-1);
		expect(last).toMatch(/^\[shop\] failed to start node .*EADDRINUSE/);
	});
});

describe("a node with a database", () => {
	it("when the database is unreachable, then it exits 1 with a one-line reason", async () => {
		const node = start({ SERVICES: "inventory", DATABASE_URL: "mysql://shop:shop@127.0.0.1:1" });
		expect(await node.waitForExit()).toBe(1);
		const last = node.text().trim().split("\n").at(-1);
		expect(last).toMatch(/^\[shop\] failed to start node .*ECONNREFUSED/);
	});

	it("when the metrics port is taken, then it exits 1 with a one-line reason", async () => {
		const port = String(39_000 + Math.floor(Math.random() * 1000));
		const first = start({ SERVICES: "none", METRICS_ENABLED: "true", METRICS_PORT: port });
		await first.waitForOutput(/started successfully/);
		const second = start({ SERVICES: "none", METRICS_ENABLED: "true", METRICS_PORT: port });
		expect(await second.waitForExit()).toBe(1);
		expect(second.text().trim().split("\n").at(-1)).toMatch(/^\[shop\] fatal: .*EADDRINUSE/);
	});
});

describe("nodes over NATS", () => {
	it("when a gateway node and an inventory node run, then health and the REPL's `nodes` show both", async () => {
		const namespace = testNamespace("e2e");
		const cluster = { TRANSPORTER: infra.natsUrl, NAMESPACE: namespace };
		const edge = start({ ...cluster, NODE_ID: `edge-${uniqueId()}`, SERVICES: "gateway", PORT: "0" });
		const worker = start({ ...cluster, NODE_ID: `worker-${uniqueId()}`, SERVICES: "inventory" });
		const url = await gatewayUrl(edge);
		await worker.waitForOutput(/started successfully/);

		let body: { nodes: Array<{ id: string; services: string[] }> } = { nodes: [] };
		for (let i = 0; i < 50 && body.nodes.length < 2; i++) {
			body = (await (await fetch(`${url}/api/health`)).json()) as typeof body;
			if (body.nodes.length < 2) await new Promise((r) => setTimeout(r, 200));
		}
		const ids = body.nodes.map((n) => n.id).sort();
		const [edgeId, workerId] = [edge, worker].map((n) => n.text().match(/"nodeID":"([^"]+)"/)?.[1]);
		expect(ids).toEqual([edgeId, workerId].sort());
		expect(body.nodes).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ id: edgeId, services: ["api"] }),
				expect.objectContaining({ id: workerId, services: ["inventory"] }),
			]),
		);

		const repl = start({ ...cluster, NODE_ID: `repl-${uniqueId()}`, SERVICES: "none", LOG_LEVEL: "warn" }, ["--repl"]);
		await repl.waitForOutput(/mol \$/);
		repl.child.stdin.write("nodes\n");
		await repl.waitForOutput(new RegExp(ids[0] as string));
		await repl.waitForOutput(new RegExp(ids[1] as string));
		repl.child.stdin.write("quit\n");
	});
});

/**
 * What an operator reads on a node's console: real node processes (`bin/shop-node.ts`) on MariaDB and
 * Kafka. One line per failed request, carrying its correlation id; no stack traces at info; no
 * warnings of libraries that say nothing about this node; a REPL not drowned in log lines.
 */
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { uniqueId } from "../support/brokers";
import { sleep, waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { gatewayUrl, NodeProcess } from "../support/node-process";
import { testServerConnection } from "../support/test-database";
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

/** The JSON log lines a node printed (LOG_FORMAT=json, the default). */
function jsonLines(node: NodeProcess): Array<Record<string, unknown>> {
	return node
		.text()
		.split("\n")
		.flatMap((line) => {
			try {
				const parsed = JSON.parse(line) as unknown;
				return parsed && typeof parsed === "object" ? [parsed as Record<string, unknown>] : [];
			} catch {
				return [];
			}
		});
}

/** A stack frame, as `Error.stack` prints it. */
const STACK_FRAME = /\n\s+at \S/;

describe("the log of a failed request", () => {
	it.each([
		["info", false],
		["debug", true],
	])(
		"when a request fails with a 5xx (LOG_LEVEL=%s), then one error line carries its correlation id, and the stack is logged only at debug",
		async (level, stackLogged) => {
			const prefix = `shop_t${uniqueId()}_`;
			const node = start({
				SERVICES: "gateway,auth,products",
				PORT: "0",
				LOG_LEVEL: level,
				DATABASE_URL: infra.databaseUrl,
				DB_NAME_PREFIX: prefix,
				SEED_DEMO_DATA: "false",
				NAMESPACE: testNamespace("e2e"),
			});
			const url = await gatewayUrl(node);
			// The catalog's table gone: every read of it is a server error (500), as a broken database would be.
			const db = await testServerConnection(`${prefix}products`);
			try {
				await db.query("DROP TABLE products");
			} finally {
				await db.end();
			}
			const correlationId = `corr-${uniqueId()}`;
			const res = await fetch(`${url}/api/products`, {
				headers: { "x-api-version": "v1", "x-correlation-id": correlationId },
			});
			expect(res.status).toBe(500);
			expect(res.headers.get("x-correlation-id")).toBe(correlationId);

			const ofRequest = () => jsonLines(node).filter((l) => JSON.stringify(l).includes(correlationId));
			await waitFor("the failure's log line", () => (ofRequest().some((l) => l.level === "error") ? true : undefined));
			await sleep(300);
			const errors = ofRequest().filter((l) => l.level === "error");
			expect(errors).toHaveLength(1);
			expect(errors[0]).toMatchObject({
				correlationId,
				msg: expect.stringMatching(/^GET \/api\/products answered 500 /),
			});
			expect(errors[0]?.msg).not.toMatch(STACK_FRAME);
			// At info nothing prints a stack trace; at debug the failure's stack is there, under its correlation id.
			const withStack = jsonLines(node).filter((l) => STACK_FRAME.test(String(l.msg)));
			if (stackLogged) {
				// Moleculer's own "request is rejected" line comes at debug too.
				expect(withStack.map((l) => l.level)).toEqual(withStack.map(() => "debug"));
				expect(withStack).toContainEqual(expect.objectContaining({ correlationId }));
			} else {
				expect(withStack).toEqual([]);
				expect(node.text()).not.toMatch(STACK_FRAME);
			}
		},
	);
});

describe("the console of a node", () => {
	it("when a node starts with Kafka (a producer, consumer groups joining), then it prints no TimeoutNegativeWarning nor kafkajs's partitioner warning", async () => {
		const node = start({
			SERVICES: "gateway,auth,products,inventory",
			PORT: "0",
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			EVENTS_URL: infra.kafkaUrl,
			SEED_DEMO_DATA: "false",
			NAMESPACE: testNamespace("e2e"),
		});
		const url = await gatewayUrl(node);
		// Kafka requests and answers on the producer's and the consumers' connections for a few seconds.
		await sleep(5000);
		const text = node.text();
		expect(text).not.toMatch(/TimeoutNegativeWarning|negative number/);
		expect(text).not.toMatch(/switched default partitioner|KAFKAJS_NO_PARTITIONER_WARNING/);
		expect((await fetch(`${url}/api/health`)).status).toBe(200);
	});

	it("when the embedded shop starts with its demo catalog, then it prints no warning or error line", async () => {
		// `npm start`'s services (the default SERVICES) in one process; the demo catalog's product events are
		// written while the node starts, before its event adapter has connected.
		const node = start({ PORT: "0", NAMESPACE: testNamespace("e2e") });
		const url = await gatewayUrl(node);
		const demoIndexed = await waitFor("the demo catalog in search", async () => {
			const found = await fetch(`${url}/api/search/products?q=a`, { headers: { "x-api-version": "v1" } });
			const page = (await found.json()) as { total?: number };
			return (page.total ?? 0) > 0 ? page : undefined;
		});
		expect(demoIndexed.total).toBeGreaterThan(0);
		await sleep(1000);
		const loud = jsonLines(node).filter((l) => l.level === "warn" || l.level === "error");
		expect(loud.map((l) => `${l.mod}: ${l.msg}`)).toEqual([]);
	});

	it("when a node runs the REPL, then its console shows warnings and errors only, and its full log goes to a file", async () => {
		const dataDir = path.join(os.tmpdir(), `shop-e2e-${uniqueId()}`);
		const nodeId = `repl-${uniqueId()}`;
		const node = start({ SERVICES: "gateway", PORT: "0", DATA_DIR: dataDir, NODE_ID: nodeId }, ["--repl"]);
		const logs = path.join(dataDir, "logs");
		const logFile = await waitFor("the node's log file with its start", async () => {
			const names = await readdir(logs).catch(() => [] as string[]);
			const name = names.find((n) => n.startsWith(nodeId));
			if (!name) return undefined;
			const text = await readFile(path.join(logs, name), "utf8");
			return /Shop ready: /.test(text) ? text : undefined;
		});
		expect(logFile).toMatch(/"level":"info"/);
		// The console: the REPL's own output, and no info line of the node.
		expect(node.text()).not.toMatch(/"level":"info"/);
		expect(node.text()).not.toMatch(/Shop ready: /);
		// The REPL answers on the console.
		node.child.stdin.write("info\n");
		await node.waitForOutput(/Moleculer version|Namespace/, 10_000);
	});
});

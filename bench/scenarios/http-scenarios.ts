import { type Approach, benchOperatorToken, startGatewayNode } from "../support/approaches";
import { type BenchRun, meterFor, STARTUP_TIMEOUT_MS, timedLoad } from "../support/bench-run";
import type { ChildNode } from "../support/child-node";
import { freePort } from "../support/free-port";
import { httpClient } from "../support/reserve-clients";
import { runScenario, type ScenarioResult } from "../support/scenario";
import { retryUntil } from "../support/wait";

/** The actor path through a gateway node: HTTP keep-alive in, NATS to the inventory node. */
export async function benchHttpGateway(
	run: BenchRun,
	approach: Approach,
	inventoryNode: ChildNode,
): Promise<ScenarioResult> {
	const { settings } = run;
	const inflight = settings.httpInflight;
	const port = await freePort();
	const gateway = startGatewayNode(run.cluster, port, settings.cpuProfileDir);
	const client = httpClient(`http://127.0.0.1:${port}`, inflight, await benchOperatorToken());
	const sku = `hot-http-n${inflight}`;
	try {
		// Ready once the gateway listens and already sees the inventory node (the scenario sets it again).
		await retryUntil("gateway", () => client.setStock(sku, settings.stock), {
			timeoutMs: STARTUP_TIMEOUT_MS,
			check: () => {
				gateway.assertRunning();
				inventoryNode.assertRunning();
			},
		});
		return await runScenario(
			{
				approach: approach.key,
				label: approach.label,
				database: `${run.cluster.dbNamePrefix}${approach.database}`,
				transport: "HTTP",
				kind: "throughput",
				sku,
				initialStock: settings.stock,
				orderPrefix: `${run.runId}-http-${inflight}`,
				load: timedLoad(settings, inflight),
			},
			client,
			run.db,
			meterFor([
				{ name: "service node", pid: inventoryNode.pid },
				{ name: "gateway node", pid: gateway.pid },
			]),
		);
	} finally {
		client.close();
		await gateway.stop();
	}
}

/** An HTTP server that answers without storing anything: the most the HTTP line could reach here. */
export interface HttpCeiling {
	label: string;
	/** Also the prefix of its order ids. */
	key: string;
	start(port: number): ChildNode;
}

/** The same HTTP load against a ceiling server (a bare Node HTTP server, or moleculer-web with a no-op). */
export async function benchHttpCeiling(run: BenchRun, ceiling: HttpCeiling): Promise<ScenarioResult> {
	const { settings } = run;
	const inflight = settings.httpInflight;
	const port = await freePort();
	const server = ceiling.start(port);
	const client = httpClient(`http://127.0.0.1:${port}`, inflight, await benchOperatorToken());
	try {
		await retryUntil(ceiling.label, () => client.setStock(ceiling.key, 1), {
			timeoutMs: STARTUP_TIMEOUT_MS,
			check: () => server.assertRunning(),
		});
		return await runScenario(
			{
				approach: "noop",
				label: ceiling.label,
				database: "",
				transport: "HTTP",
				kind: "throughput",
				sku: ceiling.key,
				initialStock: 0,
				orderPrefix: `${run.runId}-${ceiling.key}`,
				load: timedLoad(settings, inflight),
			},
			client,
			run.db,
			meterFor([{ name: "service node", pid: server.pid }]),
		);
	} finally {
		client.close();
		await server.stop();
	}
}

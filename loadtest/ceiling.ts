/**
 * The same-run ceiling: moleculer-web alone (`bench/nodes/moleculer-web-noop-node.ts`: the edge framework
 * with a no-op action, no transport, no storage), driven by the same load library on the same box
 * with as many connections as the suite's users, for a few seconds before the suite. A suite's
 * throughput is then a share of the most a moleculer-web gateway serves here today, and its latency
 * a multiple of the least.
 */
import { ChildNode } from "../bench/support/child-node";
import { freePort } from "../bench/support/free-port";
import type { Flow } from "./flow";
import { summarizeLatencies } from "./percentiles";
import { Recorder } from "./recorder";
import { runFlows } from "./run-flows";

export interface Ceiling {
	label: string;
	connections: number;
	durationS: number;
	throughputPerS: number;
	p50Ms: number;
	p95Ms: number;
	p99Ms: number;
}

const CEILING_SECONDS = 10;

async function listening(url: string, node: ChildNode): Promise<void> {
	for (let attempt = 0; attempt < 200; attempt++) {
		node.assertRunning();
		try {
			await fetch(url, { method: "POST", body: "{}", signal: AbortSignal.timeout(1_000) });
			return;
		} catch {
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
	throw new Error(`the moleculer-web no-op node did not listen:\n${node.output()}`);
}

export async function measureCeiling(connections: number): Promise<Ceiling> {
	const port = await freePort();
	const node = ChildNode.start({
		name: "moleculer-web no-op",
		script: "bench/nodes/moleculer-web-noop-node.ts",
		env: { PORT: String(port) },
	});
	try {
		const url = `http://127.0.0.1:${port}/api/inventory/reserve`;
		await listening(url, node);
		const body = JSON.stringify({ orderId: "ceiling-1", sku: "CEILING", quantity: 1 });
		const flow: Flow<null> = {
			name: "ceiling",
			vus: connections,
			rate: null,
			newUser: () => null,
			steps: [
				{
					name: "reserve",
					expect: [200],
					request: () => ({ method: "POST", path: "/api/inventory/reserve", headers: { "x-api-version": "v1" }, body }),
				},
			],
		};
		const recorder = new Recorder();
		recorder.start();
		await runFlows(`http://127.0.0.1:${port}`, [flow as Flow<unknown>], recorder, {
			durationS: CEILING_SECONDS,
			requests: null,
		}).done;
		const seconds = recorder.elapsedMs() / 1000;
		const latency = summarizeLatencies(recorder.samples.map((sample) => sample.latencyMs));
		return {
			label: "moleculer-web no-op (POST /api/inventory/reserve)",
			connections,
			durationS: Math.round(seconds * 10) / 10,
			throughputPerS: Math.round(recorder.samples.length / seconds),
			p50Ms: latency.p50Ms ?? 0,
			p95Ms: latency.p95Ms ?? 0,
			p99Ms: latency.p99Ms ?? 0,
		};
	} finally {
		await node.stop();
	}
}

import { type Approach, HTTP_CEILINGS } from "../support/approaches";
import { type BenchRun, log, meterFor, STARTUP_TIMEOUT_MS, timedLoad } from "../support/bench-run";
import { moleculerClient } from "../support/reserve-clients";
import { runScenario, type ScenarioResult, type ScenarioSpec } from "../support/scenario";
import { retryUntil } from "../support/wait";
import { benchHttpCeiling, benchHttpGateway } from "./http-scenarios";

function summary(r: ScenarioResult): string {
	const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
	const invariant = !r.invariant.checked
		? "n/a"
		: r.invariant.ok
			? "PASS"
			: `FAIL (${r.invariant.problems.join("; ")})`;
	return `${r.label} ${r.transport} ${r.kind} N=${r.inflight}: ${Math.round(r.rate)}/s, p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${errors} errors, invariant ${invariant}`;
}

/**
 * Every scenario of one approach on one freshly started node: throughput at each N over NATS, the
 * HTTP line (the gateway in front of the actor; the HTTP ceilings next to the no-op), then the
 * sell-out. The node is stopped afterwards so the next approach has the machine to itself.
 */
export async function benchApproach(run: BenchRun, approach: Approach): Promise<ScenarioResult[]> {
	const { settings, broker, db } = run;
	const node = approach.start(run.cluster, {
		cpuProfileDir: settings.cpuProfileDir,
		inventoryEnv: settings.inventoryEnv,
	});
	const results: ScenarioResult[] = [];
	const record = (result: ScenarioResult) => {
		results.push(result);
		log(summary(result));
	};
	try {
		await retryUntil(`${approach.service} service`, () => broker.waitForServices(approach.service, 1000), {
			timeoutMs: STARTUP_TIMEOUT_MS,
			check: () => node.assertRunning(),
		});
		const client = moleculerClient(broker, approach.service);
		const meter = meterFor([{ name: "service node", pid: node.pid }]);
		const base = {
			approach: approach.key,
			label: approach.label,
			transport: "NATS" as const,
			database: approach.database && `${run.cluster.dbNamePrefix}${approach.database}`,
		};
		for (const inflight of settings.inflight) {
			const spec: ScenarioSpec = {
				...base,
				kind: "throughput",
				sku: `hot-${approach.key}-n${inflight}`,
				initialStock: settings.stock,
				orderPrefix: `${run.runId}-${approach.key}-${inflight}`,
				load: timedLoad(settings, inflight),
			};
			record(await runScenario(spec, client, db, meter));
		}
		if (settings.httpInflight > 0 && approach.key === "actor") record(await benchHttpGateway(run, approach, node));
		if (settings.httpInflight > 0 && approach.key === "noop") {
			record(await benchHttpCeiling(run, HTTP_CEILINGS.node));
			record(await benchHttpCeiling(run, HTTP_CEILINGS.moleculerWeb));
		}
		if (settings.sellOut.stock > 0 && approach.database) {
			const { stock, requests, inflight } = settings.sellOut;
			const spec: ScenarioSpec = {
				...base,
				kind: "sell-out",
				sku: `sellout-${approach.key}`,
				initialStock: stock,
				orderPrefix: `${run.runId}-${approach.key}-sellout`,
				load: { kind: "counted", inflight, requests },
			};
			record(await runScenario(spec, client, db, meter));
		}
	} catch (err) {
		log(`${approach.label} failed; last output of its node:\n${node.output() || "(none)"}`);
		throw err;
	} finally {
		await node.stop();
	}
	return results;
}

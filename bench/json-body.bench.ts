/**
 * `npm run bench:json-body`: the gateway's CPU per request with moleculer-web's body-parser against
 * our JSON body reader (services/gateway/json-body.ts), same gateway process, same run. A closed loop
 * of BENCH_INFLIGHT (200) keep-alive connections loads one route for BENCH_WINDOW_MS (3,000 ms), then
 * the other, BENCH_ROUNDS (10) times, alternating which goes first; the gateway's user+system CPU per
 * answered request is charged to the route loaded in that window. Prints each window, the medians and
 * the median of the rounds' ratios.
 */
import { fork } from "node:child_process";
import { freePort } from "./support/free-port";
import { median } from "./support/median";
import { RawHttpClient } from "./support/raw-http-client";

const inflight = Number(process.env.BENCH_INFLIGHT ?? 200);
const windowMs = Number(process.env.BENCH_WINDOW_MS ?? 3000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const WARM_UP_MS = 1000;
const READERS = ["body-parser", "own"] as const;
type Reader = (typeof READERS)[number];

async function main(): Promise<void> {
	const port = await freePort();
	const node = fork("bench/nodes/json-body-reader-node.ts", [], {
		execArgv: ["--import", "tsx"],
		env: { ...process.env, PORT: String(port) },
	});
	const reply = () => new Promise<Record<string, number>>((resolve) => node.once("message", resolve as never));
	await reply();
	const cpuNow = async () => {
		const answer = reply();
		node.send("mark");
		return (await answer).cpuMicros as number;
	};

	const client = new RawHttpClient(new URL(`http://127.0.0.1:${port}`), inflight);
	let route: Reader = "body-parser";
	let answered = 0;
	let stopped = false;
	let sequence = 0;
	const worker = async () => {
		while (!stopped) {
			const res = await client.postJson(`/${route}/reserve`, { orderId: `o-${sequence++}`, sku: "SKU-1", quantity: 1 });
			if (res.status !== 200) throw new Error(`${route}: HTTP ${res.status} ${res.body}`);
			answered++;
		}
	};
	const workers = Array.from({ length: inflight }, worker);

	const perRequest: Record<Reader, number[]> = { "body-parser": [], own: [] };
	for (let round = 0; round < rounds; round++) {
		const order = round % 2 === 0 ? READERS : [...READERS].reverse();
		for (const reader of order) {
			route = reader;
			await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
			const [cpuBefore, answeredBefore, startedAt] = [await cpuNow(), answered, performance.now()];
			await new Promise((resolve) => setTimeout(resolve, windowMs));
			const [cpuAfter, requests] = [await cpuNow(), answered - answeredBefore];
			const seconds = (performance.now() - startedAt) / 1000;
			const micros = (cpuAfter - cpuBefore) / requests;
			perRequest[reader].push(micros);
			console.log(
				`round ${round + 1} ${reader.padEnd(11)} ${micros.toFixed(1).padStart(6)} µs of gateway CPU per request, ${Math.round(requests / seconds)} requests/s`,
			);
		}
	}
	stopped = true;
	await Promise.allSettled(workers);
	client.close();
	node.send("stop");

	// The machine's speed drifts between rounds: compare each round's pair, then take the median.
	const ratios = perRequest.own.map((ours, i) => ours / (perRequest["body-parser"][i] as number));
	const [theirs, ours] = [median(perRequest["body-parser"]), median(perRequest.own)];
	console.log(
		`\nmedian of ${rounds}: body-parser ${theirs.toFixed(1)} µs, own reader ${ours.toFixed(1)} µs per request`,
	);
	console.log(`own reader / body-parser, round by round: ${ratios.map((r) => r.toFixed(2)).join(" ")}`);
	console.log(
		`median ratio ${median(ratios).toFixed(2)}; own reader lower in ${ratios.filter((r) => r < 1).length} of ${rounds}`,
	);
}

main().catch((err) => {
	console.error(err);
	process.exit(2);
});

/**
 * Runs flows with autocannon (one instance per flow, each with its own connections and rate), and
 * records every answer with its flow, step and outcome. autocannon measures each request's time
 * from its write to the end of its answer; it calls a step's `answer` just before it reports that
 * time, so the step and outcome are still on the user when the time arrives.
 */
import autocannon from "autocannon";
import type { Flow, FlowStep, StepRequest } from "./flow";
import { errorCodeOf, type Recorder, type SampleTags } from "./recorder";

export interface RunLimits {
	/** Seconds to run; or */
	durationS: number | null;
	/** answers to collect over all flows (shared out by the flows' users). */
	requests: number | null;
}

interface UserSlot {
	/** The step whose answer is due, with its tags and whether it is a success. */
	due: { tags: SampleTags; ok: boolean; errorKey: string } | undefined;
}

type AutocannonRequest = NonNullable<autocannon.Options["requests"]>[number];
type Client = { setRequests(requests: AutocannonRequest[]): void };

function toAutocannon(request: StepRequest, base: Record<string, unknown>): Record<string, unknown> {
	return {
		...base,
		method: request.method,
		path: request.path,
		headers: { ...(request.body ? { "content-type": "application/json" } : {}), ...request.headers },
		body: request.body ?? Buffer.alloc(0),
	};
}

/**
 * One autocannon request per connection that walks the flow's steps itself: a step that skips
 * (returns null) passes to the next one, where autocannon would start its list over.
 */
function requestsFor<User>(flow: Flow<User>, user: User, slot: UserSlot): AutocannonRequest[] {
	let next = 0;
	let sent: FlowStep<User> | undefined;
	let awaiting = false;
	const request = {
		setupRequest: (base: Record<string, unknown>) => {
			// The last request got no answer (timed out, connection lost): its step learns so.
			if (awaiting) sent?.answer?.(user, 0, "");
			awaiting = false;
			for (let tried = 0; tried < flow.steps.length; tried++) {
				const step = flow.steps[next] as FlowStep<User>;
				next = (next + 1) % flow.steps.length;
				const built = step.request(user);
				if (built) {
					sent = step;
					awaiting = true;
					return toAutocannon(built, base);
				}
			}
			throw new Error(`every step of flow ${flow.name} skipped`);
		},
		onResponse: (status: number, body: string) => {
			const step = sent as FlowStep<User>;
			awaiting = false;
			const ok = step.expect.includes(status) || (step.expectedErrors?.includes(errorCodeOf(body)) ?? false);
			const outcome = step.answer?.(user, status, body)?.outcome ?? "";
			const errorKey = ok && status < 300 ? "" : `${status} ${errorCodeOf(body)}`.trim();
			slot.due = { tags: { flow: flow.name, step: step.name, outcome }, ok, errorKey };
		},
	};
	return [request] as unknown as AutocannonRequest[];
}

/**
 * autocannon paces a rate per connection and per second, and every connection's second starts at the
 * same instant: 200 users at 1 request/s each all fired within the same millisecond, once a second,
 * and the p95 measured the burst (753 ms where a steady 200/s measures ~30 ms). A paced flow is
 * therefore split into slices started 1/PACING_SLICES s apart, so its arrivals come in tenths.
 */
const PACING_SLICES = 10;

/** The i-th of `parts` near-equal shares of `total`. */
const shareOf = (total: number, parts: number, i: number) => Math.floor(total / parts) + (i < total % parts ? 1 : 0);

interface Instance {
	stop(): void;
}

function runFlow<User>(baseUrl: string, flow: Flow<User>, recorder: Recorder, limits: RunLimits, share: number) {
	const slots = new WeakMap<object, UserSlot>();
	let nextUser = 0;
	const slices = flow.rate ? Math.min(PACING_SLICES, flow.vus, flow.rate) : 1;
	const amount = limits.requests ? Math.max(flow.vus, Math.round(limits.requests * share)) : 0;
	const instances: Instance[] = [];
	const timers: NodeJS.Timeout[] = [];
	let stopped = false;

	const startSlice = (slice: number, delayS: number) =>
		new Promise<void>((resolve, reject) => {
			const instance = autocannon(
				{
					url: baseUrl,
					connections: shareOf(flow.vus, slices, slice),
					...(flow.rate ? { overallRate: shareOf(flow.rate, slices, slice) } : {}),
					...(limits.durationS ? { duration: limits.durationS - delayS } : {}),
					...(amount ? { amount: shareOf(amount, slices, slice) } : {}),
					timeout: 30,
					// A request list of its own per connection, with one user's state in its closures.
					requests: [{ method: "GET", path: "/api/health" }],
					setupClient: (client: Client) => {
						const slot: UserSlot = { due: undefined };
						slots.set(client, slot);
						client.setRequests(requestsFor(flow, flow.newUser(nextUser++), slot));
					},
				},
				(error) => (error ? reject(error) : resolve()),
			);
			instance.on("response", (client: object, status: number, _bytes: number, latencyMs: number) => {
				const slot = slots.get(client);
				const due = slot?.due;
				if (!slot || !due) return;
				slot.due = undefined;
				recorder.record(due.tags, latencyMs, status, due.ok, due.errorKey);
			});
			instance.on("reqError", (error: Error & { code?: string }) => {
				const key = error.code ?? error.message ?? "NO_ANSWER";
				recorder.record(
					{ flow: flow.name, step: "?", outcome: "" },
					0,
					0,
					false,
					key === "ETIMEDOUT" ? "TIMEOUT" : key,
				);
			});
			instances.push(instance);
		});

	const done = Promise.all(
		Array.from({ length: slices }, (_, slice) => {
			const delayS = slice / slices;
			if (delayS === 0) return startSlice(slice, 0);
			return new Promise<void>((resolve, reject) => {
				timers.push(
					setTimeout(() => (stopped ? resolve() : startSlice(slice, delayS).then(resolve, reject)), delayS * 1000),
				);
			});
		}),
	).then(() => undefined);
	return {
		done,
		stop() {
			stopped = true;
			for (const instance of instances) instance.stop();
		},
	};
}

/**
 * Runs the flows at once until the duration has passed or the requests are answered; resolves when
 * every flow has stopped. `stop()` ends them early (Ctrl-C).
 */
export function runFlows(baseUrl: string, flows: Flow<unknown>[], recorder: Recorder, limits: RunLimits) {
	const totalVus = flows.reduce((sum, flow) => sum + flow.vus, 0);
	const runs = flows.map((flow) => runFlow(baseUrl, flow, recorder, limits, flow.vus / totalVus));
	return {
		done: Promise.all(runs.map((run) => run.done)).then(() => undefined),
		stop: () => {
			for (const run of runs) run.stop();
		},
	};
}

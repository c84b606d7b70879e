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
			const ok = step.expect.includes(status);
			const outcome = step.answer?.(user, status, body)?.outcome ?? "";
			const errorKey = ok && status < 300 ? "" : `${status} ${errorCodeOf(body)}`.trim();
			slot.due = { tags: { flow: flow.name, step: step.name, outcome }, ok, errorKey };
		},
	};
	return [request] as unknown as AutocannonRequest[];
}

function runFlow<User>(baseUrl: string, flow: Flow<User>, recorder: Recorder, limits: RunLimits, share: number) {
	const slots = new WeakMap<object, UserSlot>();
	let nextUser = 0;
	let finished: (error: Error | null) => void = () => {};
	const done = new Promise<void>((resolve, reject) => {
		finished = (error) => (error ? reject(error) : resolve());
	});
	const instance = autocannon(
		{
			url: baseUrl,
			connections: flow.vus,
			...(flow.rate ? { overallRate: flow.rate } : {}),
			...(limits.durationS ? { duration: limits.durationS } : {}),
			...(limits.requests ? { amount: Math.max(flow.vus, Math.round(limits.requests * share)) } : {}),
			timeout: 30,
			// A request list of its own per connection, with one user's state in its closures.
			requests: [{ method: "GET", path: "/api/health" }],
			setupClient: (client: Client) => {
				const slot: UserSlot = { due: undefined };
				slots.set(client, slot);
				client.setRequests(requestsFor(flow, flow.newUser(nextUser++), slot));
			},
		},
		(error) => finished(error ?? null),
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
		recorder.record({ flow: flow.name, step: "?", outcome: "" }, 0, 0, false, key === "ETIMEDOUT" ? "TIMEOUT" : key);
	});
	return { instance, done };
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
			for (const run of runs) run.instance.stop();
		},
	};
}

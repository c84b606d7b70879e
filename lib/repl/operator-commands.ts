import type { ServiceBroker } from "moleculer";

/** What moleculer-repl hands a custom command: positional arguments by name, flags in `options`. */
export interface CommandArgs {
	options: Record<string, unknown>;
	[positional: string]: unknown;
}

export interface OperatorCommand {
	command: string;
	description: string;
	options?: Array<{ option: string; description: string }>;
	action(broker: ServiceBroker, args: CommandArgs): Promise<void>;
}

type Print = (text: string) => void;

/** The internal action every node offers (services/inventory/caller/caller-queues.ts); named, not imported: lib/ imports nothing from services. */
const CALLER_QUEUES_ACTION = "$inventoryCallers.queues";

/** What `inventory.actorStats` answers (services/inventory/actor/actor-stats.ts). */
interface ActorStats {
	nodeID: string;
	actors: number;
	waiting: number;
	queued: number;
	oldestWaitMs: number;
	batchesPerS: number | null;
	commandsPerS: number | null;
	busiest: Array<{
		sku: string;
		waiting: number;
		queued: number;
		oldestWaitMs: number;
		batchesPerS: number | null;
		commandsPerS: number | null;
		idle: boolean;
	}>;
}

/** What `$inventoryCallers.queues` answers (services/inventory/caller/caller-queues.ts): reserves a calling node holds back. */
interface CallerQueueStats {
	nodeID: string;
	skus: number;
	waiting: number;
	groupsInFlight: number;
	oldestWaitMs: number;
	busiest: Array<{ sku: string; waiting: number; groupsInFlight: number; oldestWaitMs: number }>;
}

/** "120 waiting, 2 groups out to the owner, oldest 35 ms". */
function callerLoad(s: { waiting: number; groupsInFlight: number; oldestWaitMs: number }): string {
	return `${s.waiting} waiting, ${s.groupsInFlight} group(s) out to the owner, oldest ${s.oldestWaitMs} ms`;
}

/** "412 waiting (37 queued), oldest 184 ms, 96 batches/s, 2380 commands/s": one line per node or SKU. */
function load(s: Omit<ActorStats["busiest"][number], "sku" | "idle">): string {
	const rates = s.batchesPerS === null ? "" : `, ${s.batchesPerS} batches/s, ${s.commandsPerS} commands/s`;
	return `${s.waiting} waiting (${s.queued} queued), oldest ${s.oldestWaitMs} ms${rates}`;
}

/** The nodes that offer `action`, from the broker's registry. */
function nodesWithAction(broker: ServiceBroker, action: string): string[] {
	const list = broker.registry.getActionEndpoints(action) as unknown as { endpoints?: Array<{ id: string }> } | null;
	return (list?.endpoints ?? []).map((ep) => ep.id);
}

interface ReindexJobView {
	jobId: string;
	status: string;
	processed: number;
	total: number | null;
	error: string | null;
}

/** A new reindex job, or the one already running (which the command then follows). */
async function startOrFollowReindex(broker: ServiceBroker, print: Print): Promise<ReindexJobView | null> {
	try {
		return await broker.call<ReindexJobView, object>("search.reindex", {});
	} catch (err) {
		const { type, data } = err as { type?: string; data?: { jobId?: string } };
		if (type === "SERVICE_NOT_FOUND") {
			print("no node runs the search service: start one (SERVICES=search) or attach to a cluster that has it");
			return null;
		}
		if (type !== "REINDEX_RUNNING" || !data?.jobId) throw err;
		print(`reindex ${data.jobId} is already running: following it`);
		return broker.call<ReindexJobView, object>("search.reindexStatus", { jobId: data.jobId });
	}
}

/** One line per progress step until the job ends. */
async function followReindex(broker: ServiceBroker, first: ReindexJobView, print: Print): Promise<void> {
	let job = first;
	let last = "";
	for (;;) {
		const line = `reindex ${job.jobId}: ${job.status} ${job.processed}/${job.total ?? "?"} products${job.error ? ` (${job.error})` : ""}`;
		if (line !== last) print(line);
		last = line;
		if (job.status !== "RUNNING") return;
		await new Promise((resolve) => setTimeout(resolve, 500));
		job = await broker.call<ReindexJobView, object>("search.reindexStatus", { jobId: job.jobId });
	}
}

function json(value: unknown): string {
	return JSON.stringify(value, null, 2);
}

/**
 * The shop's operator commands for the Moleculer REPL (`npm run repl`, or a `SERVICES=none` node that
 * joins a cluster): thin, named wrappers over the actions an operator needs during an incident, so
 * the runbooks can say `stock SKU-1` instead of a `call` with the right params.
 */
export function operatorCommands(print: Print = (text) => console.log(text)): OperatorCommand[] {
	/**
	 * Most commands are one call whose answer is printed as JSON. When no node runs the action's service,
	 * one line says which service to start, instead of a stack trace.
	 */
	const show = async (broker: ServiceBroker, action: string, params: object) => {
		try {
			print(json(await broker.call(action, params)));
		} catch (err) {
			if ((err as { type?: string }).type !== "SERVICE_NOT_FOUND") throw err;
			const service = action.split(".")[0];
			print(`no node runs the ${service} service: start one (SERVICES=${service}) or attach to a cluster that has it`);
		}
	};
	return [
		{
			command: "stock <sku>",
			description: "Stock of a SKU: available, reserved, confirmed, version",
			async action(broker, args) {
				await show(broker, "inventory.getStock", { sku: String(args.sku) });
			},
		},
		{
			command: "order <orderId>",
			description:
				"The whole checkout saga of an order: the order with its history, its payment, inventory's hold, and the mails sent about it",
			async action(broker, args) {
				const orderId = String(args.orderId);
				// Each side on its own: a side whose service is down (or that never saw the order) says so.
				const side = (action: string) =>
					broker.call(action, { orderId }).catch((err: { type?: string; message?: string }) => ({
						unavailable: err.type ?? err.message ?? String(err),
					}));
				const [order, payment, stock, mails] = await Promise.all([
					side("orders.inspect"),
					side("payments.byOrder"),
					side("inventory.orderHold"),
					side("notifications.byOrder"),
				]);
				print(json({ order, payment, stock, mails }));
			},
		},
		{
			command: "hot",
			description:
				"Per inventory node: live SKU actors, commands waiting (and oldest wait), batch and command rates, the busiest SKUs; then the reserves calling nodes hold back before they reach the owner",
			options: [
				{ option: "-l, --limit <n>", description: "SKUs per node (default 10)" },
				{ option: "-s, --sample <ms>", description: "window of the rates (default 1000; 0: no rates)" },
			],
			async action(broker, args) {
				const limit = Number(args.options.limit ?? 10);
				const sampleMs = Number(args.options.sample ?? 1000);
				const nodes = nodesWithAction(broker, "inventory.actorStats");
				if (nodes.length === 0) {
					print("no inventory node is reachable");
					return;
				}
				const stats = await Promise.all(
					nodes.map((nodeID) =>
						broker.call<ActorStats, { limit: number; sampleMs: number }>(
							"inventory.actorStats",
							{ limit, sampleMs },
							{ nodeID, timeout: sampleMs + 10_000 },
						),
					),
				);
				for (const s of stats) {
					print(`${s.nodeID}: ${s.actors} actor(s), ${load(s)}`);
					for (const a of s.busiest) print(`  ${a.sku}  ${load(a)}${a.idle ? "  (idle)" : ""}`);
				}
				// Reserves grouped on the calling nodes wait there for a free group slot, before any actor sees them.
				const callers = await Promise.all(
					nodesWithAction(broker, CALLER_QUEUES_ACTION).map((nodeID) =>
						broker
							.call<CallerQueueStats, { limit: number }>(CALLER_QUEUES_ACTION, { limit }, { nodeID, timeout: 10_000 })
							.catch(() => null),
					),
				);
				const holding = callers.filter((c): c is CallerQueueStats => c !== null && c.skus > 0);
				print(holding.length === 0 ? "callers: nothing held back" : "callers (held back before the owner):");
				for (const c of holding) {
					print(`${c.nodeID}: ${c.skus} SKU(s), ${callerLoad(c)}`);
					for (const q of c.busiest) print(`  ${q.sku}  ${callerLoad(q)}`);
				}
			},
		},
		{
			command: "outbox [service]",
			description: "Outbox backlog (pending, failed, oldest pending age) of one or every producing service",
			async action(broker, args) {
				if (args.service) await show(broker, "events.outboxStatusOf", { service: String(args.service) });
				else await show(broker, "events.outboxStatus", {});
			},
		},
		{
			command: "replay <service>",
			description: "Send a service's FAILED outbox events again (after fixing the cause; consumers dedup)",
			async action(broker, args) {
				await show(broker, "events.replayOutbox", { service: String(args.service) });
			},
		},
		{
			command: "deadletters",
			description: "Dead letters not requeued yet (newest first)",
			options: [
				{ option: "-a, --all", description: "include requeued ones" },
				{ option: "-l, --limit <n>", description: "at most n (default 20)" },
			],
			async action(broker, args) {
				await show(broker, "events.deadLetters", { open: !args.options.all, limit: Number(args.options.limit ?? 20) });
			},
		},
		{
			command: "reindex",
			description:
				"Rebuild the search index from the catalog and follow it to the end (the old index serves until then)",
			async action(broker) {
				const job = await startOrFollowReindex(broker, print);
				if (job) await followReindex(broker, job, print);
			},
		},
		{
			command: "requeue <id>",
			description: "Publish a dead letter again to its original channel",
			async action(broker, args) {
				await show(broker, "events.requeueDeadLetter", { id: Number(args.id) });
			},
		},
	];
}

/**
 * The @moleculer/channels Redis Streams adapter, changed where it lost what a dead letter is for
 * (`processMessage`, `moveToDeadLetter`, and the library's dead-lettering loop, see `subscribe`):
 *
 * - The attempt that exhausts a message's retries dead-letters it, with the handler's or the deserializer's
 *   error and where it failed (channel, group, entry id) next to the message's bytes and headers
 *   (lib/events/dead-letter-headers.ts; built in redis-stream-entry.ts). The library moved it later from
 *   a loop that knew no error, and that also took entries whose last attempt was still running.
 * - `rawPayload` channels get the bytes as they are, so the dead-letter store takes messages that are not
 *   JSON (the library deserialized a whole read batch up front: one such entry failed the batch unhandled).
 * - An entry addressed to another group (`x-group`: an operator's requeue) is acknowledged unhandled, so a
 *   requeue reaches the group that failed it only, as on Kafka.
 * - An entry whose dead letter cannot be published (or whose acknowledgement fails) stays pending: the
 *   claim loop hands it out again after `minIdleTime`, and its next failure tries again.
 *
 * Retries stay the library's: a failed entry stays pending until the claim loop (XAUTOCLAIM, every
 * `claimInterval`) hands it out again after `minIdleTime`; Redis counts its deliveries.
 */
import { Adapters } from "@moleculer/channels";
import type * as Constants from "@moleculer/channels/types/src/constants";
import type { Redis } from "ioredis";
import { retriesExhausted } from "./channel-retries";
import { contentOf } from "./raw-payload-channel";
import {
	addressedGroup,
	deadLetterHeaders,
	type EntryHeaders,
	entriesOf,
	type StreamEntry,
} from "./redis-stream-entry";

// The constants module ships without a declaration next to it; its types live under types/.
const C: typeof Constants = require("@moleculer/channels/src/constants");

type RedisAdapterBase = InstanceType<typeof Adapters.Redis>;
type Channel = Parameters<RedisAdapterBase["subscribe"]>[0];

/**
 * The library's `subscribe` assigns `chan.failed_messages` (its dead-lettering loop) and starts it at once.
 * Here the attempt that exhausts the retries dead-letters the message itself, so that loop is kept a no-op:
 * the assignment is ignored.
 */
function withoutLibraryDeadLetteringLoop(chan: Channel): void {
	const idle = async () => undefined;
	Object.defineProperty(chan, "failed_messages", { configurable: true, get: () => idle, set: () => undefined });
}

export class ShopRedisAdapter extends Adapters.Redis {
	override async subscribe(chan: Channel): Promise<void> {
		withoutLibraryDeadLetteringLoop(chan);
		await super.subscribe(chan);
	}

	/**
	 * Handles a batch the library read or claimed, each entry on its own. The library does not wait for this
	 * (nor catch what it throws): an entry that cannot be settled is logged and stays pending.
	 */
	override async processMessage(chan: Channel, message: unknown[]): Promise<void> {
		let entries: StreamEntry[];
		try {
			entries = entriesOf(message, (bytes) => this.serializer.deserialize(bytes));
		} catch (err) {
			this.logger.error(`Unreadable reply of '${chan.name}' for group '${chan.group}' (claimed again later)`, err);
			return;
		}
		const ids = entries.map((entry) => entry.id);
		// Before anything is awaited: the read loop counts these against maxInFlight.
		this.addChannelActiveMessages(chan.id, ids);
		try {
			await Promise.all(
				entries.map((entry) =>
					this.processEntry(chan, entry).catch((err) =>
						this.logger.warn(
							`'${chan.name}' entry ${entry.id} of group '${chan.group}' left pending (claimed again later): ${(err as Error).message}`,
						),
					),
				),
			);
		} finally {
			this.removeChannelActiveMessages(chan.id, ids);
		}
	}

	private async processEntry(chan: Channel, entry: StreamEntry): Promise<void> {
		const addressedTo = addressedGroup(entry);
		if (addressedTo !== undefined && addressedTo !== chan.group) {
			await this.acknowledge(chan, entry.id);
			return;
		}
		const failure = await this.runHandler(chan, entry);
		if (failure) await this.afterFailure(chan, entry, failure.error);
		else await this.acknowledge(chan, entry.id);
	}

	/** Resolves with what the handler (or the deserializer before it) threw, if anything. */
	private async runHandler(chan: Channel, entry: StreamEntry): Promise<{ error: unknown } | undefined> {
		try {
			if (entry.headersError) throw entry.headersError;
			const content = contentOf(chan, entry.payload, this.serializer);
			// The library's "raw" message, with the entry id.
			await chan.handler(content, { payload: content, id: entry.id, ...(entry.headers && { headers: entry.headers }) });
			return undefined;
		} catch (error) {
			return { error };
		}
	}

	/** The library's retry policy: pending until claimed again, then the dead letter (or nothing) once exhausted. */
	private async afterFailure(chan: Channel, entry: StreamEntry, error: unknown): Promise<void> {
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL, chan);
		const attempts = await this.deliveriesOf(chan, entry.id);
		// No longer pending: another consumer of the group, which claimed it meanwhile, settled it.
		if (attempts === undefined) return;
		const where = `'${chan.name}' entry ${entry.id} of group '${chan.group}'`;
		this.logger.warn(`${where} failed (attempt ${attempts}): ${(error as Error)?.message ?? error}`);
		const exhausted = retriesExhausted(chan, attempts);
		if (!exhausted) return;
		if (chan.deadLettering?.enabled) {
			await this.moveToDeadLetter(chan, entry.id, entry.payload, entry.headers, error);
		} else {
			this.logger.error(`${where} dropped after ${attempts} attempt(s)`, error);
		}
		await this.acknowledge(chan, entry.id);
	}

	/** How many times the group's consumers got the entry (this delivery included); undefined once acknowledged. */
	private async deliveriesOf(chan: Channel, id: string): Promise<number | undefined> {
		const [pending] = (await this.publisher().xpending(chan.name, chan.group, id, id, 1)) as unknown[][];
		return pending ? Number(pending[3]) : undefined;
	}

	private async acknowledge(chan: Channel, id: string): Promise<void> {
		await this.publisher().xack(chan.name, chan.group, id);
	}

	/**
	 * Adds the failed entry's dead letter (its bytes, its headers, where it failed and `error`) to the channel's
	 * dead-letter stream; rejects when it is not added (the library logged and went on).
	 */
	override async moveToDeadLetter(
		chan: Channel,
		originalID: string,
		message: Buffer,
		headers: EntryHeaders | undefined,
		error?: unknown,
	): Promise<void> {
		const queue = chan.deadLettering?.queueName as string;
		const letter = deadLetterHeaders({ channel: chan.name, group: chan.group, id: originalID, headers }, error);
		await this.publisher().xaddBuffer(queue, "*", "payload", message, "headers", this.serializer.serialize(letter));
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL, chan);
		this.logger.warn(`Moved '${chan.name}' entry ${originalID} of group '${chan.group}' to '${queue}'`);
	}

	/** The adapter's connection for publishing and acknowledging (the library's "Pub" client). */
	private publisher(): Redis {
		return this.clients.get(this.pubName) as Redis;
	}
}

/** Makes `{ type: "ShopRedis" }` resolvable by the channels middleware. */
export function registerShopRedisAdapter(): void {
	// The typings declare `register(name, adapter instance)`, but Adapters.resolve instantiates the class.
	Adapters.register("ShopRedis", ShopRedisAdapter as unknown as InstanceType<typeof Adapters.Base>);
}

/**
 * The @moleculer/channels NATS JetStream adapter, changed where it lost what a dead letter is for
 * (`createConsumerHandler`, `moveToDeadLetter`):
 *
 * - The dead letter keeps the message as it was (its bytes and all its headers) and adds where it failed
 *   (channel, group, stream and sequence) and the handler's or the deserializer's last error
 *   (lib/events/dead-letter-headers.ts; built in nats-failed-message.ts).
 * - `rawPayload` channels get the bytes as they are, so the dead-letter store takes messages that are not JSON.
 * - A message addressed to another group (`x-group`: an operator's requeue) is acknowledged unhandled, so a
 *   requeue reaches the group that failed it only, as on Kafka.
 * - A dead letter that cannot be published is not acknowledged away (the library logged it and acked the
 *   message): JetStream delivers the message again a little later, and its next failure tries again.
 *
 * Retries stay the library's: a failed message is NAKed and delivered again at once, `EVENTS_MAX_RETRIES`
 * deliveries in all.
 */
import { Adapters } from "@moleculer/channels";
import type * as Constants from "@moleculer/channels/types/src/constants";
import type { JsMsg, NatsError } from "nats";
import { retriesExhausted } from "./channel-retries";
import { addressedGroup, deadLetterHeaders } from "./nats-failed-message";
import { contentOf } from "./raw-payload-channel";

// The constants module ships without a declaration next to it; its types live under types/.
const C: typeof Constants = require("@moleculer/channels/src/constants");

type NatsAdapterBase = InstanceType<typeof Adapters.NATS>;
type Channel = Parameters<NatsAdapterBase["createConsumerHandler"]>[0];

/** How long JetStream waits before delivering again a message whose dead letter could not be published. */
const DEAD_LETTER_RETRY_DELAY_MS = 2000;

export class ShopNatsAdapter extends Adapters.NATS {
	override createConsumerHandler(chan: Channel): (err: NatsError | null, message: JsMsg | null) => Promise<void> {
		return async (err, message) => {
			// A stopping subscription leaves the message unacknowledged: JetStream delivers it again.
			if (chan.unsubscribing) return;
			if (err) {
				this.logger.error(err);
				return;
			}
			// Neither error nor message: a status notice of the subscription, not a message.
			if (!message) return;
			try {
				await this.processMessage(chan, message);
			} catch (error) {
				// Acknowledging failed (the connection is gone): JetStream delivers the message again.
				this.logger.warn(`'${chan.name}' message ${message.seq} of group '${chan.group}' left unacknowledged`, error);
			}
		};
	}

	private async processMessage(chan: Channel, message: JsMsg): Promise<void> {
		const addressedTo = addressedGroup(message);
		if (addressedTo !== undefined && addressedTo !== chan.group) {
			message.ack();
			return;
		}
		this.addChannelActiveMessages(chan.id, [message.seq]);
		try {
			const failure = await this.runHandler(chan, message);
			if (failure) await this.afterFailure(chan, message, failure.error);
			else message.ack();
		} finally {
			this.removeChannelActiveMessages(chan.id, [message.seq]);
		}
	}

	/** Resolves with what the handler (or the deserializer before it) threw, if anything. */
	private async runHandler(chan: Channel, message: JsMsg): Promise<{ error: unknown } | undefined> {
		try {
			// Restarts the ack timer: the message is not delivered again while its handler starts.
			message.working();
			const bytes = Buffer.from(message.data);
			await chan.handler(contentOf(chan, bytes, this.serializer), message);
			return undefined;
		} catch (error) {
			return { error };
		}
	}

	/** The library's retry policy: delivered again (NAK), then the dead letter (or nothing) once exhausted. */
	private async afterFailure(chan: Channel, message: JsMsg, error: unknown): Promise<void> {
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL, chan);
		const attempts = message.info.redeliveryCount;
		const where = `'${chan.name}' message ${message.seq} of group '${chan.group}'`;
		this.logger.warn(`${where} failed (attempt ${attempts}): ${(error as Error)?.message ?? error}`);
		const exhausted = retriesExhausted(chan, attempts);
		if (!exhausted) {
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_RETRIES_TOTAL, chan);
			message.nak();
		} else if (chan.deadLettering?.enabled) {
			try {
				await this.moveToDeadLetter(chan, message, error);
				message.ack();
			} catch (publishError) {
				this.logger.warn(
					`${where} could not be dead-lettered, delivered again in ${DEAD_LETTER_RETRY_DELAY_MS} ms: ${(publishError as Error).message}`,
				);
				message.nak(DEAD_LETTER_RETRY_DELAY_MS);
			}
		} else {
			this.logger.error(`${where} dropped after ${attempts} attempt(s)`, error);
			message.ack();
		}
	}

	/**
	 * Publishes the failed message's dead letter (its bytes, its headers, where it failed and `error`) to the
	 * channel's dead-letter subject; rejects when it is not published (the library logged and went on).
	 */
	override async moveToDeadLetter(chan: Channel, message: JsMsg, error?: unknown): Promise<void> {
		const queue = chan.deadLettering?.queueName as string;
		const headers = deadLetterHeaders({ channel: chan.name, group: chan.group, message }, error);
		await this.client.publish(queue, message.data, { headers });
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL, chan);
		this.logger.warn(`Moved '${chan.name}' message ${message.seq} of group '${chan.group}' to '${queue}'`);
	}
}

/** Makes `{ type: "ShopNats" }` resolvable by the channels middleware. */
export function registerShopNatsAdapter(): void {
	// The typings declare `register(name, adapter instance)`, but Adapters.resolve instantiates the class.
	Adapters.register("ShopNats", ShopNatsAdapter as unknown as InstanceType<typeof Adapters.Base>);
}

import type { Channel, DeadLetteringOptions } from "@moleculer/channels/types/src";
import type { ConsumerConfig as KafkaConsumerConfig } from "kafkajs";
import type { ConsumerOpts, StreamConfig } from "nats";
import type { RawPayloadOption } from "./raw-payload-channel";

/**
 * A durable channel's handler (@moleculer/channels binds it to the service). It gets what the producer
 * sent and the adapter's raw message (a Context instead with `context: true`): each handler names the
 * payload type it expects. `never` accepts any such annotation while `this` is still checked strictly
 * (method syntax, which would accept any annotation too, compares `this` both ways).
 */
export type ChannelHandler<TThis> = (this: TThis, payload: never, raw: never) => unknown;

/** What the Kafka adapter reads from a channel: its consumer's config, where to start, partitions in parallel. */
export type KafkaChannelOptions = Partial<KafkaConsumerConfig> & {
	fromBeginning?: boolean;
	partitionsConsumedConcurrently?: number;
};

/** What the NATS JetStream adapter reads from a channel. */
export interface NatsChannelOptions {
	streamConfig?: Partial<StreamConfig>;
	consumerOptions?: Partial<ConsumerOpts>;
}

/** A channel subscription in a service schema: @moleculer/channels' consumer options and ours (`rawPayload`). */
export interface ChannelSchema<TThis>
	extends Partial<Pick<Channel, "name" | "group" | "context" | "maxInFlight" | "maxRetries">>,
		RawPayloadOption {
	deadLettering?: Partial<DeadLetteringOptions>;
	kafka?: KafkaChannelOptions;
	nats?: NatsChannelOptions;
	handler: ChannelHandler<TThis>;
}

/** A service's `channels`, by channel name. */
export type ChannelSchemas<TThis> = Record<string, ChannelHandler<TThis> | ChannelSchema<TThis>>;

/**
 * Every topic the shop's services produce (through their outboxes), whatever runs on this node. Kafka
 * creates a topic it does not know on first use with the broker's default partition count (3 here),
 * not EVENTS_KAFKA_PARTITIONS: each node creates them all up front instead (kafka-topics.middleware.ts).
 * A new producing service adds its topics here.
 */

import { TOPIC } from "./checkout-topics";
import { NOTIFICATION_TOPIC } from "./notification-topics";
import { PRODUCT_TOPIC } from "./product-topics";
import { REVIEW_TOPIC } from "./review-topics";

export const PRODUCED_TOPICS: readonly string[] = [
	...Object.values(TOPIC),
	...Object.values(PRODUCT_TOPIC),
	...Object.values(NOTIFICATION_TOPIC),
	...Object.values(REVIEW_TOPIC),
];

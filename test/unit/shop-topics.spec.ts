import fs from "node:fs";
import path from "node:path";
import { PRODUCED_TOPICS } from "../../lib/events/shop-topics";

const ROOT = path.resolve(__dirname, "../..");
/** A versioned topic name as the code spells it: `"order.created.v1"`. */
const TOPIC_LITERAL = /"([a-z][a-z-]*(?:\.[a-z-]+)+\.v\d+)"/g;

function sourcesUnder(dir: string): string[] {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) return sourcesUnder(full);
		return entry.name.endsWith(".ts") ? [full] : [];
	});
}

/**
 * Nodes create the topics of PRODUCED_TOPICS up front with EVENTS_KAFKA_PARTITIONS partitions; one
 * left out would be created by Kafka on first use with the broker's default instead.
 */
describe("the shop's topic list", () => {
	it("when the services and libraries name a topic, then it is in PRODUCED_TOPICS", () => {
		const named = new Set(
			[...sourcesUnder(path.join(ROOT, "services")), ...sourcesUnder(path.join(ROOT, "lib"))].flatMap((file) =>
				[...fs.readFileSync(file, "utf8").matchAll(TOPIC_LITERAL)].map((m) => m[1] as string),
			),
		);
		expect(named.size).toBeGreaterThan(0);
		expect([...named].filter((topic) => !PRODUCED_TOPICS.includes(topic))).toEqual([]);
	});
});

import { loadConfig } from "../../config";
import { kafkaBrokers } from "../../lib/health/dependency-probes";
import { ALL_SERVICES } from "../../services";
import { selectServices } from "../../wiring/service-loader";

describe("service selection", () => {
	it("when SERVICES is empty, then the node runs every service", () => {
		expect(selectServices(loadConfig({}))).toEqual(ALL_SERVICES);
	});

	it("when SERVICES names an unknown service, then it fails naming it", () => {
		expect(() => selectServices(loadConfig({ SERVICES: "gateway,warehouse" }))).toThrow(/SERVICES.*warehouse/);
	});

	it("when a Kafka URL lists several brokers, then each becomes a bootstrap address", () => {
		expect(kafkaBrokers("kafka://k1:9092,k2:9093")).toEqual(["k1:9092", "k2:9093"]);
	});
});

describe("SERVICES=none", () => {
	it("when SERVICES is none, then the node runs no service (a REPL or spare node)", () => {
		expect(selectServices(loadConfig({ SERVICES: "none" }))).toEqual([]);
	});
});

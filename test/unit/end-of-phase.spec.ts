import { gatherAtPhaseEnd, writeAtPhaseEnd } from "../../lib/cluster/end-of-phase";

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Resolves in the next turn's check phase, after what this turn's check phase queued for it. */
const nextTurn = async () => {
	await immediate();
	await immediate();
};

describe("end-of-phase stages", () => {
	it("when a gather task's microtasks queue a write, then it runs in the same check phase, before the next turn", async () => {
		const order: string[] = [];
		gatherAtPhaseEnd(() => {
			order.push("gather");
			setImmediate(() => order.push("next turn"));
			// As a broker call reaches the transporter: a few promise hops after the gathering task.
			void Promise.resolve()
				.then(() => undefined)
				.then(() => writeAtPhaseEnd(() => order.push("write")));
		});
		await nextTurn();
		expect(order).toEqual(["gather", "write", "next turn"]);
	});

	it("when writes are queued in one phase, then they run once, together and in order", async () => {
		const order: number[] = [];
		for (let n = 0; n < 5; n++) writeAtPhaseEnd(() => order.push(n));
		expect(order).toEqual([]);
		await nextTurn();
		expect(order).toEqual([0, 1, 2, 3, 4]);
	});

	it("when a write was queued before a gathering, then what the gathering sends is still written that phase", async () => {
		const order: string[] = [];
		writeAtPhaseEnd(() => order.push("early write"));
		gatherAtPhaseEnd(() => {
			setImmediate(() => order.push("next turn"));
			queueMicrotask(() => writeAtPhaseEnd(() => order.push("gathered write")));
		});
		await nextTurn();
		expect(order).toEqual(["early write", "gathered write", "next turn"]);
	});
});

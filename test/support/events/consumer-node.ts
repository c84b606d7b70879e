/**
 * A consumer node in its own process: the ledger fixture on a broker built from the environment
 * exactly as bin/shop-node.ts builds one (`brokerOptions(loadConfig(process.env))`). It reports on
 * stdout, one line each: READY, PROBE <id>, DUPLICATE <eventId>.
 *
 * LEDGER_CRASH_AFTER_APPLIED=n makes it SIGKILL itself right after the n-th effect committed, before
 * the handler returns (so before the message is acknowledged): the worst moment to die.
 */
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../../../config";
import { brokerOptions } from "../../../wiring/broker-options";
import { ledgerService } from "./fixtures";

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
	const crashAfter = Number(process.env.LEDGER_CRASH_AFTER_APPLIED ?? 0);
	const broker = new ServiceBroker(brokerOptions(loadConfig(process.env)));
	broker.createService(
		ledgerService({
			fastRedelivery: true,
			onProbe: (id) => say(`PROBE ${id}`),
			onDuplicate: (envelope) => say(`DUPLICATE ${envelope.eventId}`),
			onApplied: (envelope, applied) => {
				if (crashAfter > 0 && applied >= crashAfter) {
					say(`CRASH after ${envelope.eventId}`);
					process.kill(process.pid, "SIGKILL");
				}
			},
		}),
	);
	await broker.start();
	say("READY");
	const stop = () => {
		broker.stop().finally(() => process.exit(0));
	};
	process.once("SIGTERM", stop);
	process.once("SIGINT", stop);
}

main().catch((err: Error) => {
	process.stderr.write(`consumer node failed: ${err.stack ?? err}\n`);
	process.exit(1);
});

import { Transporters } from "moleculer";

/**
 * Moleculer's NATS transporter, with the packets sent during one turn of the event loop written to the
 * socket together. nats.js writes what was published since the last microtask checkpoint, and each
 * incoming HTTP request or NATS message is its own task, so a busy node wrote one packet per `write`:
 * a system call and, on a machine where the NATS server runs on the other core, a cross-CPU wake-up per
 * request and per reply. Here a packet waits until the current I/O phase ends (`setImmediate`) and the
 * packets of every task of that phase go out in one write; idle, a packet waits no longer than before.
 *
 * Order is kept (one queue, published in order), and `send` resolves when the packet is handed to
 * nats.js, so Moleculer's "send DISCONNECT, then disconnect" still sends it; `disconnect` and the
 * unsubscribe before it publish what is queued before they flush.
 */
export class CoalescingNatsTransporter extends Transporters.NATS {
	private queued: Array<[string, Buffer]> = [];
	private handedOver: Promise<void> | null = null;

	override send(topic: string, data: Buffer): Promise<void> {
		if (!this.client) return Promise.resolve();
		this.queued.push([topic, data]);
		if (!this.handedOver) {
			this.handedOver = new Promise((resolve) =>
				setImmediate(() => {
					this.publishQueued();
					resolve();
				}),
			);
		}
		return this.handedOver;
	}

	override disconnect(): Promise<void> {
		this.publishQueued();
		return super.disconnect();
	}

	override unsubscribeFromBalancedCommands(): Promise<void> {
		this.publishQueued();
		return super.unsubscribeFromBalancedCommands();
	}

	private publishQueued(): void {
		const queued = this.queued;
		this.queued = [];
		this.handedOver = null;
		if (!this.client) return;
		for (const [topic, data] of queued) this.client.publish(topic, data);
	}
}

import type { Sequelize } from "sequelize";
import type { IntentRequests } from "./intent-requests";
import type { PaymentEffects } from "./payment-effects";
import type { ProviderOperation } from "./payment-provider";
import type { PaymentStatus } from "./payment-status";
import { DeadLetterNotFoundError, DeadLetterNotOpenError } from "./payments.errors";
import type { PaymentsRepository } from "./payments.repository";
import type { ProviderDeadLetter, ProviderDeadLettersRepository } from "./provider-dead-letters.repository";

export interface ReplayDeps {
	db: Sequelize;
	payments: PaymentsRepository;
	deadLetters: ProviderDeadLettersRepository;
	effects: PaymentEffects;
	intents: IntentRequests;
	/** A replay's node died if its dead letter is still REQUEUED after this long: it may be taken again. */
	staleClaimMs: number;
}

export interface ReplayResult {
	requeued: true;
	/** The payment's status after the replay. */
	status: PaymentStatus | null;
	deadLetter: ProviderDeadLetter;
	/** The provider call worked, or there was nothing left to do: the dead letter is RESOLVED. */
	resolved: boolean;
	operation: ProviderOperation;
}

/**
 * An operator's replay of a provider dead letter: the operation is tried once, now. The dead letter is
 * taken first (`REQUEUED`), so two replays cannot run at once; it ends `RESOLVED` when the call worked
 * or the payment no longer needs it, else `OPEN` again with the new error.
 */
export class DeadLetterReplay {
	constructor(private readonly deps: ReplayDeps) {}

	async requeue(id: number, correlationId: string): Promise<ReplayResult> {
		const { deadLetters } = this.deps;
		const letter = await deadLetters.find(id);
		if (!letter) throw new DeadLetterNotFoundError(id);
		const now = Date.now();
		if (!(await deadLetters.claim(id, now, now - this.deps.staleClaimMs))) {
			throw new DeadLetterNotOpenError(id, (await deadLetters.find(id))?.status ?? letter.status);
		}
		const attempts = letter.attempts + 1;
		let outcome: { status: PaymentStatus | null; failed?: Error };
		try {
			outcome = await this.replay(letter, attempts, correlationId);
		} catch (err) {
			await deadLetters.reopen(id, attempts, (err as Error).message);
			throw err;
		}
		if (outcome.failed) await deadLetters.reopen(id, attempts, outcome.failed.message);
		return {
			requeued: true,
			status: outcome.status,
			deadLetter: (await deadLetters.find(id)) as ProviderDeadLetter,
			resolved: !outcome.failed,
			operation: letter.operation,
		};
	}

	private async replay(
		letter: ProviderDeadLetter,
		attempts: number,
		correlationId: string,
	): Promise<{ status: PaymentStatus | null; failed?: Error }> {
		const { db, payments, deadLetters, effects, intents } = this.deps;
		if (letter.operation === "createIntent") {
			const { payment, providerFailed } = await intents.request(
				letter.paymentId,
				correlationId,
				"once",
				"PROVIDER_ERROR",
			);
			if (providerFailed) return { status: payment?.status ?? null, failed: providerFailed };
			await db.transaction((tx) => deadLetters.resolve(tx, letter.id, attempts));
			return { status: payment?.status ?? null };
		}
		let failed: Error | undefined;
		const status = await db.transaction(async (tx) => {
			const payment = await payments.findById(letter.paymentId, tx);
			// Captured, voided or failed meanwhile (a webhook, another path): nothing is left to do.
			if (payment?.status === "AUTHORIZED") {
				const result =
					letter.operation === "capture"
						? await effects.capture(tx, payment, "once")
						: await effects.voidAuthorization(tx, payment, correlationId, "once");
				failed = result.providerFailed;
				if (failed) return result.payment.status;
				await deadLetters.resolve(tx, letter.id, attempts);
				return result.payment.status;
			}
			await deadLetters.resolve(tx, letter.id, attempts);
			return payment?.status ?? null;
		});
		return { status, failed };
	}
}

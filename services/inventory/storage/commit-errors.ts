/**
 * Why a batch's commit wrote nothing although the database is fine. Both roll the whole batch back,
 * and the actor decides it again on state read afresh (SkuActor.decideAndCommit); they differ in what
 * they say about the SKU, so they are reported apart (`fenceLost`, `duplicateReservation`).
 */

/**
 * Another writer changed the SKU since it was read: the stock row's version is not the one the batch
 * was decided on, its stock row was created by someone else, or a status row is not as read.
 */
export class FenceLostError extends Error {
	constructor(readonly sku: string) {
		super(`version fence lost on ${sku}`);
	}
}

/**
 * A reservation the batch inserts is already stored: its order was taken for new without a lookup
 * (SkuKnowledge.load) and had reserved before. Almost always a repeated order (a client's retry, a
 * redelivered event) whose reservation had left the actor's memory; rarely the same order reserved
 * meanwhile through another node that owned the SKU too. The redone batch looks the order up and
 * answers the stored outcome.
 */
export class DuplicateReservationError extends Error {
	constructor(readonly sku: string) {
		super(`a reservation of ${sku} decided as new was already stored`);
	}
}

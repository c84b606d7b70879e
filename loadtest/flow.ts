/**
 * A flow is what one virtual user does over and over (browse a catalog, fill a cart, place an order):
 * a list of steps, each building its request from the user's state and reading the answer back into it.
 */

export interface StepRequest {
	method: "GET" | "POST" | "PUT" | "DELETE";
	path: string;
	headers?: Record<string, string>;
	body?: string;
}

export interface StepAnswer {
	/** A business outcome to tag the sample with (e.g. "sold_out"). */
	outcome?: string;
}

export interface FlowStep<User> {
	name: string;
	/** Statuses that are not failures (a 409 sold out is an answer, not a failure). */
	expect: readonly number[];
	/**
	 * Error codes that are designed answers whatever their status: orders' 503 CHECKOUT_BUSY (back-pressure,
	 * with Retry-After) tells the shopper to come back, it is not a failure. Counted by code in the report.
	 */
	expectedErrors?: readonly string[];
	/** The request, or null to skip the step this time round. */
	request(user: User): StepRequest | null;
	/** Reads the answer (status 0: none came) into the user's state. */
	answer?(user: User, status: number, body: string): StepAnswer | undefined;
}

export interface Flow<User> {
	name: string;
	/** Virtual users: connections, each with its own user state. */
	vus: number;
	/** Requests per second over all of this flow's users; null: as fast as answers come (closed loop). */
	rate: number | null;
	newUser(index: number): User;
	steps: FlowStep<User>[];
}

import type { ClientError } from "../../../lib/errors";
import type { ReservationView, StockView } from "../reservation";

/** What an actor can be asked to do to its SKU. */
export type InventoryCommand =
	| { kind: "reserve"; reservationId: string; orderId: string; quantity: number }
	| { kind: "release"; reservationId: string }
	| { kind: "confirm"; reservationId: string }
	/** From the expiry sweep: releases the reservation if it is still RESERVED and past its expiry. */
	| { kind: "expire"; reservationId: string }
	| { kind: "setAvailable"; available: number }
	| { kind: "adjustAvailable"; delta: number };

export type CommandResult = ReservationView | StockView;

export type Outcome = { ok: true; value: CommandResult } | { ok: false; error: ClientError };

/** The reservation a command refers to, if any. */
export function reservationIdOfCommand(command: InventoryCommand): string | undefined {
	return "reservationId" in command ? command.reservationId : undefined;
}

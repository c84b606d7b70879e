import nodemailer, { type Transporter } from "nodemailer";

export interface OutgoingMail {
	to: string;
	subject: string;
	text: string;
	/** Lets the receiving side (and Mailpit's search) tie a message to the notification that sent it. */
	notificationId: number;
	/**
	 * The same for every attempt at this message and unique to it (its event and template): its Message-ID,
	 * so a mail sent twice (the server accepted it, then the sending node died before recording that) is
	 * one message to mail clients that fold duplicates by Message-ID.
	 */
	messageKey: string;
}

/** Where messages go (`NOTIFY_PROVIDER`). `send` throws when the message was not accepted. */
export interface MailProvider {
	readonly name: "log" | "smtp";
	send(mail: OutgoingMail): Promise<void>;
	close(): void;
}

/** Writes each message to the log: the embedded shop's default, nothing to set up. */
export function logProvider(logger: { info(message: string): void }): MailProvider {
	return {
		name: "log",
		async send(mail) {
			logger.info(`Mail to ${mail.to}: ${mail.subject}`);
		},
		close() {},
	};
}

/**
 * Sends through an SMTP server (`SMTP_URL`, credentials in the URL). One pooled connection per node;
 * every stage of a send is bounded by `timeoutMs`, so a server that hangs fails the attempt.
 */
export function smtpProvider(smtpUrl: string, from: string, timeoutMs: number): MailProvider {
	const url = new URL(smtpUrl);
	const secure = url.protocol === "smtps:";
	const domain = domainOf(from);
	const transporter: Transporter = nodemailer.createTransport(
		{
			host: url.hostname,
			port: Number(url.port) || (secure ? 465 : 25),
			secure,
			auth: url.username
				? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
				: undefined,
			pool: true,
			maxConnections: 2,
			connectionTimeout: timeoutMs,
			greetingTimeout: timeoutMs,
			socketTimeout: timeoutMs,
		},
		{ from },
	);
	return {
		name: "smtp",
		async send(mail) {
			await transporter.sendMail({
				to: mail.to,
				subject: mail.subject,
				text: mail.text,
				messageId: `<${mail.messageKey}@${domain}>`,
				headers: { "X-Shop-Notification-Id": String(mail.notificationId) },
			});
		},
		close() {
			transporter.close();
		},
	};
}

/** The domain of the sender's address ("Shop <orders@shop.example>" -> "shop.example"), for Message-IDs. */
export function domainOf(from: string): string {
	return /@([^>\s]+)/.exec(from)?.[1] ?? "shop.invalid";
}

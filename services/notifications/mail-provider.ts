import nodemailer, { type Transporter } from "nodemailer";

export interface OutgoingMail {
	to: string;
	subject: string;
	text: string;
	/** Lets the receiving side (and Mailpit's search) tie a message to the notification that sent it. */
	notificationId: number;
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
				headers: { "X-Shop-Notification-Id": String(mail.notificationId) },
			});
		},
		close() {
			transporter.close();
		},
	};
}

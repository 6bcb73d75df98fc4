import { startWhatsappStandIn } from '../../test/stand-ins/whatsapp-stand-in';

/**
 * The WhatsApp Cloud API stand-in from test/, in its own process so that its 20 ms timers and
 * its HTTP parsing neither share a CPU queue with the load generator nor get delayed by it.
 * Parent → child IPC: 'reset' forgets what was recorded (memory) and keeps the delay.
 */
async function main(): Promise<void> {
  const delayMs = Number(process.env.STAND_IN_DELAY_MS ?? '20');
  const standIn = await startWhatsappStandIn({
    accessToken: process.env.STAND_IN_ACCESS_TOKEN ?? '',
    phoneNumberId: process.env.STAND_IN_PHONE_NUMBER_ID ?? '',
    // The senders scenario sends through a thousand numbers.
    anyPhoneNumber: true,
  });
  standIn.setDelay(delayMs);
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'reset') return;
    const accepted = standIn.accepted.length;
    standIn.reset();
    standIn.setDelay(delayMs);
    process.send?.({ type: 'reset', accepted });
  });
  process.on('SIGTERM', () => void standIn.close().then(() => process.exit(0)));
  process.stdout.write(`stand-in listening ${standIn.apiUrl}\n`);
}

void main();

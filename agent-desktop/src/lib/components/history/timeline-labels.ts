/** What each timeline event says to a person (SPEC §4: every change, with time and actor). */
import type { CallTimelineEvent } from '@cc/contracts';

export function timelineLabel(event: CallTimelineEvent): string {
  const who = event.actorName ?? 'the system';
  const agent = event.agentName ?? 'an agent';
  switch (event.type) {
    case 'call_queued':
      return 'Queued';
    case 'call_ringing':
      return `Ringing ${agent}`;
    case 'call_declined':
      return `Declined by ${who}`;
    case 'ring_timed_out':
      return `No answer from ${agent}`;
    case 'call_answered':
      return `Answered by ${who}`;
    case 'call_held':
      return `Put on hold by ${who}`;
    case 'call_resumed': {
      const held = event.data['heldSeconds'];
      return typeof held === 'number' ? `Resumed by ${who} after ${Math.round(held)} s on hold` : `Resumed by ${who}`;
    }
    case 'call_ended':
      // The customer's connection dropped and they did not come back within the reconnect grace.
      if (event.data['reason'] === 'customer_lost') return 'Ended: the customer’s connection was lost';
      if (event.data['reason'] === 'outside_hours') return 'Ended: outside working hours';
      if (event.data['reason'] === 'voicemail')
        return event.actorType === 'customer' ? 'Voicemail left' : 'Voicemail left (longest message reached)';
      if (event.data['reason'] === 'callback_requested') return 'Ended: callback requested';
      return event.actorType === 'customer' ? 'Ended by customer' : event.actorType === 'agent' ? `Ended by ${who}` : 'Ended';
    case 'call_abandoned':
      return 'Customer left before an answer';
    case 'outside_hours':
      return 'Outside working hours: away message';
    case 'response_code':
      return `Customer pressed ${String(event.data['digit'])}`;
    case 'voicemail_started': {
      const max = event.data['maxSeconds'];
      return typeof max === 'number' ? `Leaving a voicemail (at most ${max} s)` : 'Leaving a voicemail';
    }
    case 'call_transferred':
      return event.data['toQueueId'] ? `Transferred to a queue by ${who}` : `Transferred by ${who} to ${agent}`;
    case 'transfer_failed':
      return event.data['outcome'] === 'declined' ? 'Transfer declined: the call came back' : 'Transfer not answered: the call came back';
    case 'max_wait_reached':
      return 'Maximum wait reached: last message';
    case 'call_timed_out':
      return 'Ended: waited the maximum time';
    case 'call_failed':
      return 'Failed';
    case 'wrap_up_started':
      return 'Wrap-up started';
    case 'wrap_up_extended':
      return 'Wrap-up extended';
    case 'wrap_up_ended':
      return 'Wrap-up ended';
    case 'conversation_updated':
      return 'Conversation updated';
    default:
      // Event types added later still show, in their own words.
      return event.type.replaceAll('_', ' ');
  }
}

/** Who acted, as the Actor column shows it. */
export function actorLabel(event: CallTimelineEvent): string {
  if (event.actorType === 'system') return 'System';
  if (event.actorType === 'customer') return event.actorName ? `${event.actorName} (customer)` : 'Customer';
  return event.actorName ?? 'Agent';
}

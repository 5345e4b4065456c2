/**
 * What a screen does with a rejected command: a session that ended sends the person back to
 * SignIn, or AgentSignIn in agent mode (with the reason shown there); in agent mode a command
 * that finds no open record (`no_person`) sends the agent to FindPerson. Anything else is for
 * the screen to show.
 */
import { isSessionError } from './errors';
import { toAppError, type AppError } from './ipc';
import { app, forgetCaller, go, isAgentMode, signInAgain } from './state.svelte';

export function failed(raw: unknown): AppError | null {
  const err = toAppError(raw);
  if (isSessionError(err.code) && app.screen !== 'signIn' && app.screen !== 'agentSignIn') {
    signInAgain(err);
    return null;
  }
  if (err.code === 'no_person' && isAgentMode() && app.screen !== 'findPerson') {
    forgetCaller();
    app.carriedError = err;
    go('findPerson');
    return null;
  }
  return err;
}

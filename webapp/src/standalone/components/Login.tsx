// The login form (seeded users: admin, alice, bob, carol, dave; password = username unless overridden).
import React, {useState} from 'react';

import {Api} from '../api';

export function Login({onLoggedIn}: {onLoggedIn: () => void}) {
  const [loginID, setLoginID] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await Api.login(loginID.trim(), password);
      onLoggedIn();
    } catch (err) {
      setError((err as Error).message || 'Login failed');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="sa-center">
      <form className="sa-login" onSubmit={submit} aria-label="Log in">
        <h1>{'Calls'}</h1>
        <input
          id="input_loginId"
          aria-label="Username"
          placeholder="Username"
          autoComplete="username"
          value={loginID}
          onChange={(e) => setLoginID(e.target.value)}
        />
        <input
          id="input_password-input"
          aria-label="Password"
          placeholder="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <div className="sa-error" role="alert">
            {error}
          </div>
        )}
        <button id="saveSetting" type="submit" disabled={busy}>
          {'Log in'}
        </button>
        <div className="sa-hint">
          {
            'Seeded users: admin, alice, bob, carol, dave (the password is the username unless the server was started with MM_CALLS_SEED_PASSWORD).'
          }
        </div>
      </form>
    </div>
  );
}

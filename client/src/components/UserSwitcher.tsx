// Development mode only: picks the user the dev proxy signs in. Hidden where `/__dev/users` is
// missing, which is every production server.

import { type FormEvent, useEffect, useState } from 'react';

import { api, devUserSwitchPath } from '../api/client';
import type { DevUsers } from '../api/types';
import { useApi } from '../hooks/useApi';

/** Value of the option that sends no user token, so the app acts as its service principal. */
const NO_USER = 'none';

export function UserSwitcher() {
  const resource = useApi((signal) => api.devUsers(signal), []);
  if (resource.state.status !== 'success' || resource.state.data === null) {
    return null;
  }
  return <SwitcherForm devUsers={resource.state.data} />;
}

function SwitcherForm({ devUsers }: { devUsers: DevUsers }) {
  const selected = devUsers.selected ?? NO_USER;
  const [choice, setChoice] = useState(selected);
  useEffect(() => setChoice(selected), [selected]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    window.location.assign(devUserSwitchPath(choice));
  };

  return (
    <form className="user-switcher" onSubmit={submit} aria-label="Development user switcher">
      <label htmlFor="dev-user">Dev user</label>
      <select id="dev-user" value={choice} onChange={(event) => setChoice(event.target.value)}>
        {devUsers.users.map((user) => (
          <option key={user.user_name} value={user.user_name}>
            {user.display_name} ({user.user_name}){user.active ? '' : ', deactivated'}
          </option>
        ))}
        <option value={NO_USER}>No user token (service principal)</option>
      </select>
      <button type="submit" className="button button-small" disabled={choice === selected}>
        Switch
      </button>
    </form>
  );
}

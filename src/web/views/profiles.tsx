import type { Child } from 'hono/jsx';
import { Csrf, Layout, type Chrome } from './layout.tsx';

/** `/profiles`: create, rename and switch profiles with plain forms. */
export function ProfilesPage({ chrome, error, message }: { chrome: Chrome; error?: string | undefined; message?: string | undefined }): Child {
  return (
    <Layout chrome={chrome} title="Profiles">
      <h1>Profiles</h1>
      <p>A profile groups runs (a client, a project). New run keys start with the current profile's name.</p>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
      {message ? <p class="notice" role="status">{message}</p> : null}
      <div class="profile-grid">
        <article aria-labelledby="switch-title">
          <h2 id="switch-title">Switch</h2>
          {chrome.profiles.length < 2 ? (
            <p>
              <strong>{chrome.profile}</strong> is the only profile so far. Create another one to keep the runs of a client or
              project apart; then switch here or from the menu at the top.
            </p>
          ) : (
            <form method="post" action="/profiles/switch">
              <Csrf token={chrome.csrf} />
              <input type="hidden" name="back" value="/profiles" />
              <fieldset>
                <legend>Current profile</legend>
                {chrome.profiles.map((p, i) => (
                  <label for={`profile-${i}`}>
                    <input type="radio" id={`profile-${i}`} name="name" value={p} checked={p === chrome.profile} />
                    {p}
                  </label>
                ))}
              </fieldset>
              <button type="submit">Switch profile</button>
            </form>
          )}
        </article>
        <article aria-labelledby="create-title">
          <h2 id="create-title">Create</h2>
          <form method="post" action="/profiles">
            <Csrf token={chrome.csrf} />
            <label for="new-profile">Name of the new profile</label>
            <input type="text" id="new-profile" name="name" required maxlength={40} aria-describedby="new-profile-help" />
            <small id="new-profile-help">Letters, digits, "_" or "."; it becomes the current profile.</small>
            <button type="submit">Create profile</button>
          </form>
        </article>
        <article aria-labelledby="rename-title">
          <h2 id="rename-title">Rename</h2>
          <form method="post" action="/profiles/rename">
            <Csrf token={chrome.csrf} />
            <label for="rename-from">Profile</label>
            <select id="rename-from" name="from">
              {chrome.profiles.map((p) => <option value={p} selected={p === chrome.profile}>{p}</option>)}
            </select>
            <label for="rename-to">New name</label>
            <input type="text" id="rename-to" name="to" required maxlength={40} />
            <small>Existing run keys stay as they are.</small>
            <button type="submit">Rename profile</button>
          </form>
        </article>
      </div>
    </Layout>
  );
}

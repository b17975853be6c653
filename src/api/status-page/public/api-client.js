/*
 * The status page's way to call the API, shared by its scripts (status.js, the node view): the key
 * or token kept in sessionStorage for the tab, sent as Authorization: Bearer; JSON answers; a
 * failure as an ApiError with the HTTP status and the API's code and message.
 */
/* global window, sessionStorage, fetch */
(function () {
  'use strict';

  const KEY_STORAGE = 'evara.apiKey';

  function apiKey() {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function api(path, options) {
    const key = apiKey();
    if (!key) return Promise.reject(new ApiError(401, 'UNAUTHORIZED', 'Not signed in'));
    const init = { method: (options && options.method) || 'GET', headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' }, cache: 'no-store' };
    return fetch(path, init).then(
      function (res) {
        return res.json().then(
          function (body) {
            if (!res.ok) throw new ApiError(res.status, body && body.code, (body && body.message) || res.statusText);
            return body;
          },
          function () {
            throw new ApiError(res.status, 'BAD_RESPONSE', 'The API answered HTTP ' + res.status + ' without a JSON body');
          },
        );
      },
      function () {
        throw new ApiError(0, 'NETWORK', 'The API could not be reached');
      },
    );
  }

  window.EvaraApi = Object.freeze({ KEY_STORAGE: KEY_STORAGE, apiKey: apiKey, api: api, ApiError: ApiError });
})();

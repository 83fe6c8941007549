// The duty board refreshes itself: every 5 seconds the list of open alerts is fetched
// again and put in place, unless someone is working inside it (keyboard focus or a note
// being typed), so that a refresh never takes the form from under them.
(function () {
  "use strict";
  function refresh(board) {
    var active = document.activeElement;
    if (active && board.contains(active) && active !== document.body) {
      return;
    }
    fetch(board.dataset.refresh, {
      credentials: "same-origin",
      headers: { "X-Console-Poll": "1" },
    })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null && html !== undefined && board.innerHTML !== html) {
          board.innerHTML = html;
        }
      })
      .catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("duty-board");
    if (board) {
      window.setInterval(function () { refresh(board); }, 5000);
    }
  });
})();

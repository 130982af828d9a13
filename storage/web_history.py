"""The web chat's conversation in the store, so that the page shows it again after a reload.

One row per message: the user's (their text, how many photos, the label of a button they
pressed) or one reply of the bot's (text, button labels and payloads, and the ids of pictures and
files in the web channel's in-memory cache, which the page shows while they are still there).
Never a photo's bytes. Every query is scoped to the user; each user keeps the last `cap` messages.
"""

from __future__ import annotations

import json
from typing import Any

from storage.db import Store, now

TABLE = "web_history"


class WebHistory:
    def __init__(self, store: Store, cap: int = 200) -> None:
        self.store, self.cap = store, cap

    def add_turn(self, user_id: str, messages: list[tuple[str, dict[str, Any]]]) -> bool:
        """Append (role, body) messages of one turn, then drop all but the user's last `cap`.
        Returns False (and stores nothing) when the user no longer exists, as after /forget."""
        if not messages:
            return True
        with self.store.transaction() as db:
            if not db.execute("select 1 from users where id = ?", [user_id]).fetchone():
                return False
            if self.cap <= 0:
                return True
            created = now()
            db[TABLE].insert_all(
                {"user_id": user_id, "role": role, "body": json.dumps(body, ensure_ascii=False),
                 "created_at": created} for role, body in messages)
            db.execute(
                f"""delete from [{TABLE}] where user_id = ? and id not in (
                    select id from [{TABLE}] where user_id = ? order by id desc limit ?)""",
                [user_id, user_id, self.cap])
        return True

    def messages(self, user_id: str) -> list[dict[str, Any]]:
        """The user's messages, oldest first: {"role": "user" | "bot", **body}."""
        rows = self.store.db.execute(
            f"select role, body from [{TABLE}] where user_id = ? order by id desc limit ?",
            [user_id, max(self.cap, 0)]).fetchall()
        return [{**json.loads(body), "role": role} for role, body in reversed(rows)]

    def button_label(self, user_id: str, payload: str) -> str | None:
        """The label of the latest button the bot showed the user with this payload."""
        for message in reversed(self.messages(user_id)):
            for row in message.get("buttons") or ():
                for button in row:
                    if button.get("payload") == payload:
                        return button.get("label")
        return None

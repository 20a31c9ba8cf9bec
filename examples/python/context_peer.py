#!/usr/bin/env python3
"""Seed 002 peer context for Python agents: keep a bounded log of your own chat and answer REQUEST_CONTEXT by yourself.

Importable helper (standard library only) that any agent can plug into its message loop:

    peer = ContextPeer(memory_state=lambda q: {"working_on": current_task})
    ...
    peer.record("received", message)          # every TEXT/REPLY/SYSTEM you receive
    peer.record("sent", frame)                # every chat frame you send
    if peer.handle(message, my_agent_id, send_frame):
        continue                              # it was REQUEST_CONTEXT (answered) or RESTORE_CONTEXT (on_restore)

    peer.on_restore(lambda reconstruction: print(reconstruction["unanswered_messages"]))

Run as a script it is also a small demo agent (needs `websockets`) that replies "noted" to TEXT and answers context
requests, and can register as a replacement with --restore-from:

    python3 examples/python/context_peer.py --url "$SWITCHBOARD_URL" --name py-peer [--restore-from agent_1a2b3c4d]
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

CHAT_TYPES = {"TEXT", "REPLY", "SYSTEM"}
DEFAULT_WINDOW_SECONDS = 3600


def _now_iso(ts: Optional[float] = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), timezone.utc).isoformat()


def _enabled_from_env() -> bool:
    return os.environ.get("PEER_CONTEXT_ENABLED", "true").strip().lower() not in ("false", "0", "no", "off")


class ContextPeer:
    """Bounded interaction log + automatic PROVIDE_CONTEXT answers + RESTORE_CONTEXT callbacks."""

    def __init__(self, max_interactions: int = 1000, max_answer_bytes: int = 256 * 1024, enabled: Optional[bool] = None,
                 memory_state: Optional[Callable[[Dict[str, Any]], Any]] = None) -> None:
        self._log: Deque[Tuple[float, Dict[str, Any]]] = deque(maxlen=max(1, max_interactions))  # oldest falls out
        self._max_bytes = max(1024, max_answer_bytes)
        self.enabled = _enabled_from_env() if enabled is None else enabled
        self.memory_state = memory_state
        self._restore_handlers: List[Callable[[Dict[str, Any]], None]] = []

    def record(self, direction: str, message: Dict[str, Any]) -> None:
        if message.get("message_type") not in CHAT_TYPES:
            return
        self._log.append((time.time(), {
            "message_id": str(message.get("message_id") or "msg_" + uuid.uuid4().hex[:16]),
            "direction": direction,
            "timestamp": _now_iso(),
            "message_type": message.get("message_type"),
            "sender_id": message.get("sender_id"),
            "receiver_id": message.get("receiver_id"),
            "text_payload": message.get("text_payload"),
            "thread_id": message.get("thread") or message.get("thread_id"),
            "in_reply_to_message_id": message.get("in_reply_to_message_id"),
        }))

    def on_restore(self, handler: Callable[[Dict[str, Any]], None]) -> None:
        self._restore_handlers.append(handler)

    def answer(self, request: Dict[str, Any], self_id: str) -> Optional[Dict[str, Any]]:
        failed = request.get("failed_agent_id")
        if not isinstance(failed, str) or not failed or failed == self_id:
            return None
        thread = request.get("thread_id")
        window = request.get("time_window_seconds")
        since = time.time() - (window if isinstance(window, (int, float)) else DEFAULT_WINDOW_SECONDS)
        items = []
        for at, item in self._log:
            other = item["receiver_id"] if item["direction"] == "sent" else item["sender_id"]
            if at >= since and other == failed and (not thread or item["thread_id"] == thread):
                items.append(item)
        query = {"failed_agent_id": failed, "thread_id": thread, "requester_id": request.get("requester_id")}
        try:
            memory = self.memory_state(query) if self.memory_state else None
        except Exception as err:  # a broken hook must not stop the answer
            memory = {"error": f"memory_state hook failed: {err}"}
        out: Dict[str, Any] = {
            "message_type": "PROVIDE_CONTEXT",
            "message_id": "msg_" + uuid.uuid4().hex[:16],
            "sender_id": self_id,
            "receiver_id": request.get("requester_id"),
            "send_timestamp": _now_iso(),
            "responder_id": self_id,
            "failed_agent_id": failed,
            "thread_id": thread,
            "interactions": items,
            "memory_state": memory,
        }
        if request.get("request_id"):
            out["request_id"] = request["request_id"]
        dropped = 0
        while items and len(json.dumps(out)) > self._max_bytes:  # stay under the cap: the oldest go first
            items.pop(0)
            dropped += 1
        if dropped:
            out["interactions_dropped"] = dropped
        return out

    def handle(self, message: Dict[str, Any], self_id: Optional[str], send: Callable[[Dict[str, Any]], None]) -> bool:
        kind = message.get("message_type")
        if kind == "REQUEST_CONTEXT":
            if self.enabled and self_id:
                reply = self.answer(message, self_id)
                if reply is not None:
                    send(reply)
            return True
        if kind == "RESTORE_CONTEXT":
            reconstruction = message.get("reconstruction")
            if isinstance(reconstruction, dict):
                for handler in self._restore_handlers:
                    handler(reconstruction)
            return True
        return False


# --- a small demo agent --------------------------------------------------------------------------------------------

async def _demo(url: str, name: str, restore_from: Optional[str]) -> None:
    try:
        import websockets  # only the demo needs it
    except ModuleNotFoundError:
        import sys  # Debian's python3-websockets serves /usr/bin/python3 only, not a pyenv, venv or Homebrew python3
        sys.exit(f"context_peer.py needs the websockets package, which {sys.executable} cannot import: run "
                 f"`{sys.executable} -m pip install websockets`, or use Debian's /usr/bin/python3 with python3-websockets.")

    peer = ContextPeer(memory_state=lambda q: {"agent": name, "asked_about": q["failed_agent_id"]})
    peer.on_restore(lambda r: print(f"restored: {len(r.get('unanswered_messages', []))} unanswered for "
                                    f"{r.get('failed_agent_id')}", flush=True))
    async with websockets.connect(url) as ws:
        register: Dict[str, Any] = {"message_type": "REGISTER_AGENT", "agent_name": name, "timestamp": _now_iso()}
        if restore_from:
            register["restore_from"] = restore_from
        await ws.send(json.dumps(register))
        first = json.loads(await ws.recv())
        agent_id = first.get("agent_id")
        print(f"registered as {agent_id}", flush=True)
        outbox: List[Dict[str, Any]] = []
        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("message_type")
            if kind == "PING":
                await ws.send(json.dumps({"message_type": "PONG", "agent_id": agent_id}))
                continue
            if peer.handle(message, agent_id, outbox.append):
                pass
            elif kind == "TEXT":
                peer.record("received", message)
                reply = {"message_type": "REPLY", "message_id": "msg_" + uuid.uuid4().hex[:16], "sender_id": agent_id,
                         "receiver_id": message.get("sender_id"), "text_payload": "noted",
                         "in_reply_to_message_id": message.get("message_id"), "send_timestamp": _now_iso()}
                peer.record("sent", reply)
                outbox.append(reply)
            elif kind in CHAT_TYPES:
                peer.record("received", message)
            while outbox:
                await ws.send(json.dumps(outbox.pop(0)))


if __name__ == "__main__":
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(description="A Python agent that answers REQUEST_CONTEXT from its own chat log.")
    parser.add_argument("--url", default=os.environ.get("SWITCHBOARD_URL"), help="hub agent URL (default: $SWITCHBOARD_URL)")
    parser.add_argument("--name", default="py-peer")
    parser.add_argument("--restore-from", default=None, help="register as the replacement of this failed agent id")
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set SWITCHBOARD_URL to the URL `switchboard hub` prints")
    try:
        asyncio.run(_demo(args.url, args.name, args.restore_from))
    except KeyboardInterrupt:
        pass

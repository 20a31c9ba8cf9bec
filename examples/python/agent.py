#!/usr/bin/env python3
"""An example Agent Switchboard agent in Python: standard library plus `websockets`.

It registers (keeping its id across reconnects), answers the hub's PING with PONG, replies to TEXT, and emits STATUS
lines for the front-end session it is serving. It reports its context (AGENT_CONTEXT) for live agent streams, and a
TEXT "/write <file>" makes it ask a person first (TOOL_APPROVAL_REQUEST; approve it in VS Code or with
`switchboard approve <approval_id>`). The session is kept in a contextvars.ContextVar that is set when a
message from a front-end (web_…) is handled, so a tool deep inside the agent calls add_status("…") with no session
argument — even from a worker thread.

    python3 examples/python/agent.py --url "$SWITCHBOARD_URL" --name py-agent

Works with websockets 10.x (Debian's python3-websockets) and later versions: it uses only websockets.connect,
send, recv and async iteration, which all of them have.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import os
import random
import signal
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Optional

try:
    import websockets
except ModuleNotFoundError:
    # Debian's python3-websockets serves /usr/bin/python3 only: a pyenv, venv or Homebrew python3 does not see it.
    sys.exit(f"agent.py needs the websockets package, which {sys.executable} cannot import: run "
             f"`{sys.executable} -m pip install websockets`, or use Debian's /usr/bin/python3 with python3-websockets.")

# The session (front-end id) whose message is being handled; asyncio tasks and asyncio.to_thread copy it.
current_session: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("current_session", default=None)

OUTBOX_MAX = 1000  # frames waiting to be sent; beyond this the oldest is dropped

_loop: Optional[asyncio.AbstractEventLoop] = None
_outbox: Optional[asyncio.Queue] = None
_agent_id: Optional[str] = None
# approval_id → the future its TOOL_APPROVAL_DECISION resolves (seed 003)
_approvals: Dict[str, "asyncio.Future[Dict[str, Any]]"] = {}
_recent: list = []  # the last few messages, reported in the context


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def log(text: str) -> None:
    print(text, flush=True)


def _put(frame: Dict[str, Any]) -> None:
    assert _outbox is not None
    if _outbox.full():
        _outbox.get_nowait()  # bounded: the oldest frame gives way
    _outbox.put_nowait(frame)


def send_frame(frame: Dict[str, Any]) -> None:
    """Queue a frame for the hub; safe to call from the event loop or from any other thread."""
    assert _loop is not None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is _loop:
        _put(frame)
    else:
        _loop.call_soon_threadsafe(_put, frame)


def add_status(text: str) -> None:
    """A status line for whoever this work is for — the session comes from the context, not from the caller."""
    send_frame({
        "message_type": "STATUS",
        "message_id": "msg_" + uuid.uuid4().hex[:16],
        "sender_id": _agent_id,
        "session_id": current_session.get(),
        "text_payload": text,
        "send_timestamp": now(),
    })


def report_context() -> None:
    """AGENT_CONTEXT: what a person watching this agent's stream sees (any JSON; the hub caps its size)."""
    send_frame({"message_type": "AGENT_CONTEXT", "message_id": "msg_" + uuid.uuid4().hex[:16], "sender_id": _agent_id,
                "context": {"model": "python-example", "tools": ["count_words", "write_file"], "recent_messages": _recent[-5:]}})


async def request_approval(tool: str, arguments: Any, timeout_ms: Optional[int] = None,
                           default: Optional[bool] = None) -> Dict[str, Any]:
    """Ask a person before calling a tool; returns {"approved", "note", "decided_by"} (decided_by "timeout" when the
    hub applied the default). Raises RuntimeError when the hub refuses the request."""
    approval_id = "ap_" + uuid.uuid4().hex[:16]
    frame: Dict[str, Any] = {"message_type": "TOOL_APPROVAL_REQUEST", "message_id": "msg_" + uuid.uuid4().hex[:16],
                             "sender_id": _agent_id, "approval_id": approval_id, "tool": tool, "arguments": arguments}
    if timeout_ms is not None:
        frame["timeout_ms"] = timeout_ms
    if default is not None:
        frame["default"] = default
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    _approvals[approval_id] = future
    send_frame(frame)
    try:
        return await future
    finally:
        _approvals.pop(approval_id, None)


def settle_approval(message: Dict[str, Any]) -> None:
    future = _approvals.get(str(message.get("approval_id")))
    if future is None or future.done():
        return
    if message.get("message_type") == "ERROR":
        future.set_exception(RuntimeError(str(message.get("text_payload"))))
    else:
        future.set_result({"approved": message.get("approved") is True, "note": message.get("note"),
                           "decided_by": message.get("decided_by")})


# --- the "agent": a tool chain that knows nothing about sessions ----------------------------------------------

def count_words_tool(text: str) -> int:
    """A synchronous tool, run in a worker thread; its status line still reaches the right session."""
    add_status("counting words…")
    return len(text.split())


async def answer(text: str) -> str:
    if text.startswith("/write "):
        path = text[len("/write "):].strip() or "notes.txt"
        add_status(f"asking to write {path}…")
        decision = await request_approval("write_file", {"path": path}, timeout_ms=60_000, default=False)
        verdict = "wrote" if decision["approved"] else "did not write"
        return f"{verdict} {path} ({'approved' if decision['approved'] else 'denied'} by {decision['decided_by']})"
    add_status(f'thinking about "{text[:40]}"…')
    await asyncio.sleep(0.05)
    words = await asyncio.to_thread(count_words_tool, text)
    add_status("writing the answer…")
    return f"python agent heard {words} word(s): {text}"


def session_of(message: Dict[str, Any]) -> Optional[str]:
    """An explicit session_id (forwarded by another agent), else the sender when it is a front-end."""
    explicit = message.get("session_id")
    if isinstance(explicit, str) and explicit:
        return explicit
    sender = message.get("sender_id")
    if isinstance(sender, str) and sender.startswith(("web_", "user_")):
        return sender
    return None


async def handle_text(message: Dict[str, Any]) -> None:
    # This task runs in its own copy of the context: setting the variable here affects only this message's work.
    current_session.set(session_of(message))
    text = str(message.get("text_payload") or "")
    _recent.append({"direction": "in", "text": text[:200]})
    reply = await answer(text)
    _recent.append({"direction": "out", "text": reply[:200]})
    del _recent[:-5]
    report_context()
    frame = {
        "message_type": "REPLY",
        "message_id": "msg_" + uuid.uuid4().hex[:16],
        "sender_id": _agent_id,
        "receiver_id": message.get("sender_id"),
        "text_payload": reply,
        "in_reply_to_message_id": message.get("message_id"),
        "send_timestamp": now(),
    }
    if current_session.get():
        frame["session_id"] = current_session.get()
    send_frame(frame)


# --- the connection ----------------------------------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, text: str, retry: bool) -> None:
        super().__init__(text)
        self.retry = retry


async def register(ws: Any, name: str) -> str:
    # "delivery": this agent reads chat from its WebSocket (a RabbitMQ hub then keeps nothing in agent_queue_<id>)
    frame: Dict[str, Any] = {"message_type": "REGISTER_AGENT", "agent_name": name, "timestamp": now(), "delivery": "websocket"}
    if _agent_id:
        frame["agent_id"] = _agent_id  # reconnecting: keep the id the hub gave us
    await ws.send(json.dumps(frame))
    first = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))  # the answer is the first frame
    if first.get("message_type") == "REGISTER_AGENT_RESPONSE" and first.get("status") == "success":
        return str(first["agent_id"])
    text = first.get("text_payload") or first.get("message") or json.dumps(first)
    raise Refused(f"registration refused: {text}", retry=first.get("code") == "id_in_use")


async def pump_outbox(ws: Any) -> None:
    assert _outbox is not None
    while True:
        frame = await _outbox.get()
        if frame.get("sender_id") is None:
            frame["sender_id"] = _agent_id
        await ws.send(json.dumps(frame))


async def session_loop(ws: Any, name: str) -> None:
    global _agent_id
    _agent_id = await register(ws, name)
    log(f"registered as {_agent_id}")
    sender = asyncio.create_task(pump_outbox(ws))
    report_context()
    tasks: set = set()
    try:
        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("message_type")
            if kind == "PING":
                send_frame({"message_type": "PONG", "agent_id": _agent_id, "agent_name": name,
                            "response_time": now(), "server_ping_time": message.get("timestamp")})
            elif kind == "TEXT":
                task = asyncio.create_task(handle_text(message))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif kind == "REREGISTER_AGENT":
                await ws.send(json.dumps({"message_type": "REGISTER_AGENT", "agent_name": name, "agent_id": _agent_id, "delivery": "websocket"}))
            elif kind == "SHUTDOWN":
                log("hub is shutting down")
            elif kind == "TOOL_APPROVAL_DECISION":
                settle_approval(message)
            elif kind == "ERROR":
                if message.get("approval_id"):
                    settle_approval(message)
                log(f"hub error: {message.get('text_payload')}")
            # REPLY/SYSTEM are not answered: two agents answering each other's replies never stop.
    finally:
        sender.cancel()
        for task in tasks:
            task.cancel()


def http_status(error: Exception) -> Optional[int]:
    """The HTTP status of a refused handshake, across websockets versions."""
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


async def main() -> int:
    global _loop, _outbox
    parser = argparse.ArgumentParser(description="Example Agent Switchboard agent (Python).")
    parser.add_argument("--url", default=os.environ.get("SWITCHBOARD_URL"),
                        help="hub agent URL, ws://127.0.0.1:PORT/ws?token=… (default: $SWITCHBOARD_URL)")
    parser.add_argument("--name", default="py-agent", help="agent name shown in the hub (default: py-agent)")
    args = parser.parse_args()
    if not args.url:
        print("agent.py: no hub URL. Start a hub (`switchboard hub` or `npm start`) and pass --url or set SWITCHBOARD_URL.",
              file=sys.stderr)
        return 2

    _loop = asyncio.get_running_loop()
    _outbox = asyncio.Queue(maxsize=OUTBOX_MAX)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        _loop.add_signal_handler(sig, stop.set)

    delay = 0.5
    while not stop.is_set():
        try:
            async with websockets.connect(args.url, max_size=1 << 20) as ws:
                runner = asyncio.create_task(session_loop(ws, args.name))
                stopper = asyncio.create_task(stop.wait())
                done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if runner in done:
                    runner.result()  # raises what ended the session
                    delay = 0.5
                else:
                    runner.cancel()
                    await ws.close(code=1000, reason="agent stopping")
                    break
        except Refused as refused:
            if not refused.retry:
                print(f"agent.py: {refused}", file=sys.stderr)
                return 1
            log(f"{refused}; retrying")
            delay = 0.25
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as error:
            status = http_status(error)
            if status == 401:
                print("agent.py: the hub refused the token (HTTP 401). Use the exact URL the hub printed.", file=sys.stderr)
                return 1
            log(f"connection lost ({error!r}); reconnecting in {delay:.1f} s")
        if stop.is_set():
            break
        try:  # backoff with jitter, cut short by a stop signal
            await asyncio.wait_for(stop.wait(), timeout=delay * (0.5 + random.random() / 2))
        except asyncio.TimeoutError:
            pass
        delay = min(delay * 2, 10.0)
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

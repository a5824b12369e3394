#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""D-Bus services that stand in for the desktop's, for the integration tests (python3-dbus,
python3-gi). Every call any of them gets is one JSON line in --log (name, method, args), so
a test sees what was called and what was not.

  --session ADDR   on that bus: org.a11y.Bus (GetAddress answers --a11y-address),
                   org.freedesktop.IBus and org.freedesktop.portal.IBus (Ping), and the
                   names that an app must never reach: org.freedesktop.Notifications (a
                   notification daemon: Notify, GetCapabilities, GetServerInformation,
                   CloseNotification) and org.freedesktop.portal.Desktop (Ping)
  --a11y ADDR      on that bus (the accessibility bus): org.a11y.atspi.Registry
                   (org.a11y.atspi.Socket.Embed on /org/a11y/atspi/accessible/root) and
                   org.example.A11yOther (Ping), which the proxy must refuse
  --notify-only    only the notification daemon on the session bus
  --choose FILE    when FILE holds an action key, a Notify is answered by ActionInvoked
                   with that key (the user clicked it), else by NotificationClosed (the
                   user dismissed it)

Prints "ready" once every name is owned.
"""
import argparse
import json
import os
import sys

import dbus
import dbus.bus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

LOG = None


def record(name, method, *args):
    with open(LOG, "a") as f:
        f.write(json.dumps({"name": name, "method": method, "args": [str(a) for a in args]}) + "\n")


class Pinger(dbus.service.Object):
    def __init__(self, bus, path, name, _iface):
        super().__init__(bus, path)
        self.name = name

    @dbus.service.method("org.example.Ping", in_signature="", out_signature="s")
    def Ping(self):
        record(self.name, "Ping")
        return "pong " + self.name


class A11yBus(dbus.service.Object):
    def __init__(self, bus, address):
        super().__init__(bus, "/org/a11y/bus")
        self.address = address

    @dbus.service.method("org.a11y.Bus", in_signature="", out_signature="s")
    def GetAddress(self):
        record("org.a11y.Bus", "GetAddress")
        return self.address


class Registry(dbus.service.Object):
    @dbus.service.method("org.a11y.atspi.Socket", in_signature="(so)", out_signature="(so)",
                         sender_keyword="sender")
    def Embed(self, plug, sender=None):
        record("org.a11y.atspi.Registry", "Embed", plug[0], plug[1])
        return ("org.a11y.atspi.Registry", dbus.ObjectPath("/org/a11y/atspi/accessible/root"))


class Notifications(dbus.service.Object):
    def __init__(self, bus, choose):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.choose = choose
        self.next_id = 1

    @dbus.service.method("org.freedesktop.Notifications", in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        nid = self.next_id
        self.next_id += 1
        record("org.freedesktop.Notifications", "Notify", app, summary, body, json.dumps([str(a) for a in actions]))
        key = ""
        if self.choose and os.path.exists(self.choose):
            with open(self.choose) as f:
                key = f.read().strip()
        if key and key in [str(a) for a in actions[::2]]:
            GLib.timeout_add(200, self.invoke, nid, key)
        else:
            GLib.timeout_add(200, self.close, nid)
        return nid

    def invoke(self, nid, key):
        self.ActionInvoked(dbus.UInt32(nid), key)
        self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(2))
        return False

    def close(self, nid):
        self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(2))
        return False

    @dbus.service.signal("org.freedesktop.Notifications", signature="us")
    def ActionInvoked(self, nid, key):
        pass

    @dbus.service.signal("org.freedesktop.Notifications", signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.method("org.freedesktop.Notifications", in_signature="", out_signature="as")
    def GetCapabilities(self):
        record("org.freedesktop.Notifications", "GetCapabilities")
        return ["actions", "body"]

    @dbus.service.method("org.freedesktop.Notifications", in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        record("org.freedesktop.Notifications", "GetServerInformation")
        return ("clearnet-standin", "clearnet", "1", "1.2")

    @dbus.service.method("org.freedesktop.Notifications", in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        record("org.freedesktop.Notifications", "CloseNotification", nid)


def own(bus, name):
    return dbus.service.BusName(name, bus, do_not_queue=True)


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--session", required=True)
    ap.add_argument("--a11y")
    ap.add_argument("--a11y-address", default="")
    ap.add_argument("--notify-only", action="store_true")
    ap.add_argument("--choose")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    LOG = a.log
    DBusGMainLoop(set_as_default=True)
    keep = []
    # One connection per name, as separate daemons would have: a name the app may talk to
    # must not share its unique name with one it may not (the proxy lets a talk name's
    # unique name through).
    def serve(addr, name, make):
        bus = dbus.bus.BusConnection(addr)
        keep.extend([bus, own(bus, name), make(bus)])
    serve(a.session, "org.freedesktop.Notifications", lambda b: Notifications(b, a.choose))
    if not a.notify_only:
        serve(a.session, "org.a11y.Bus", lambda b: A11yBus(b, a.a11y_address))
        for name in ("org.freedesktop.IBus", "org.freedesktop.portal.IBus", "org.freedesktop.portal.Desktop"):
            serve(a.session, name, lambda b, n=name: Pinger(b, "/org/example/ping", n, ""))
    if a.a11y:
        serve(a.a11y, "org.a11y.atspi.Registry", lambda b: Registry(b, "/org/a11y/atspi/accessible/root"))
        serve(a.a11y, "org.example.A11yOther", lambda b: Pinger(b, "/org/example/ping", "org.example.A11yOther", ""))
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    sys.exit(main())

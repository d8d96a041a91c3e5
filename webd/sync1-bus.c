/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.picamsync.Sync1 (see sync1-bus.h). */
#include "webd/sync1-bus.h"

#include "daemons/bus-caller.h"
#include "daemons/log.h"
#include "webd/client-hub.h"

struct Sync1Bus {
        sd_bus *bus;
        SyncEngine *engine;
        sd_bus_slot *slot;
        gboolean listening;
        BusCallers callers;
};

static int get_clients(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;
        ClientClass cls = g_str_equal(property, "ClientsAp") ? CLIENT_AP : CLIENT_LAN;

        return sd_bus_message_append(reply, "u",
                                     client_hub_count(sync_engine_get_hub(s->engine), cls));
}

static int get_auto_sync(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;

        return sd_bus_message_append(reply, "b", (int)sync_engine_get_config(s->engine)->auto_sync);
}

static int get_last_sync(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;
        uint64_t v = g_str_equal(property, "LastClientSyncUSec")
                             ? sync_engine_last_client_sync(s->engine)
                             : sync_engine_last_camera_sync(s->engine);

        return sd_bus_message_append(reply, "t", v);
}

static int get_power_saving(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;

        return sd_bus_message_append(reply, "b", (int)sync_engine_power_saving(s->engine));
}

static int get_threshold(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;

        return sd_bus_message_append(reply, "t",
                                     (uint64_t)sync_engine_get_config(s->engine)->threshold_usec);
}

static int method_sync_now(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;
        int r;

        /* On top of the bus policy, which allows the same callers. */
        r = bus_caller_check(&s->callers, m, "start a sync", ret_error);
        if (r < 0)
                return r;
        if (!sync_engine_sync_now(s->engine))
                return sd_bus_error_set(ret_error, BUS_ERROR_NO_CLIENT,
                                        "No page is connected to sync from. Open the picamsync "
                                        "page on a phone or laptop and try again.");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_activity_log(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Sync1Bus *s = userdata;
        ActivityLog *log = sync_engine_get_log(s->engine);
        sd_bus_message *reply = NULL;
        uint32_t max;
        guint len, first;
        int r;

        r = sd_bus_message_read(m, "u", &max);
        if (r < 0)
                return r;
        len = activity_log_len(log);
        first = max == 0 || max >= len ? 0 : len - max;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tssbs)");
        for (guint i = first; r >= 0 && i < len; i++) {
                const ActivityEntry *e = activity_log_get(log, i);
                g_autofree char *details = activity_entry_details_to_string(e);

                r = sd_bus_message_append(reply, "(tssbs)", (uint64_t)MAX(e->time_usec, 0),
                                          activity_type_to_string(e->type), e->message,
                                          (int)e->success, details);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static const sd_bus_vtable sync1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("ClientsAp", "u", get_clients, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ClientsLan", "u", get_clients, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutoSync", "b", get_auto_sync, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SyncThresholdUSec", "t", get_threshold, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LastClientSyncUSec", "t", get_last_sync, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCameraSyncUSec", "t", get_last_sync, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PowerSaving", "b", get_power_saving, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("SyncNow", "", "", method_sync_now, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetActivityLog", "u", SD_BUS_PARAM(max), "a(tssbs)",
                                 SD_BUS_PARAM(entries), method_get_activity_log,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES(
                "Activity", "tsss",
                SD_BUS_PARAM(usec) SD_BUS_PARAM(type) SD_BUS_PARAM(level) SD_BUS_PARAM(message), 0),
        SD_BUS_VTABLE_END,
};

static void on_changed(SyncEngineChange what, void *userdata)
{
        static const char *const names[] = {
                [SYNC_ENGINE_CHANGE_CLIENTS_AP] = "ClientsAp",
                [SYNC_ENGINE_CHANGE_CLIENTS_LAN] = "ClientsLan",
                [SYNC_ENGINE_CHANGE_LAST_CLIENT_SYNC] = "LastClientSyncUSec",
                [SYNC_ENGINE_CHANGE_LAST_CAMERA_SYNC] = "LastCameraSyncUSec",
                [SYNC_ENGINE_CHANGE_POWER_SAVING] = "PowerSaving",
        };
        Sync1Bus *s = userdata;
        int r = sd_bus_emit_properties_changed(s->bus, SYNC1_PATH, SYNC1_IFACE, names[what], NULL);

        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged: %m");
}

static void on_activity(const ActivityEntry *entry, void *userdata)
{
        Sync1Bus *s = userdata;
        int r = sd_bus_emit_signal(s->bus, SYNC1_PATH, SYNC1_IFACE, "Activity", "tsss",
                                   (uint64_t)MAX(entry->time_usec, 0),
                                   activity_type_to_string(entry->type),
                                   activity_level_to_string(entry->level), entry->message);
        if (r < 0)
                log_debug_errno(r, "Failed to emit Activity: %m");
}

static const SyncEngineListener engine_listener = {
        .changed = on_changed,
        .activity = on_activity,
};

Sync1Bus *sync1_bus_new(sd_bus *bus, SyncEngine *engine, int *ret_error)
{
        Sync1Bus *s = g_new0(Sync1Bus, 1);
        int r;

        s->bus = sd_bus_ref(bus);
        s->engine = engine;
        bus_callers_init(&s->callers, "it may not call SyncNow",
                         "its members may not call SyncNow");
        r = sd_bus_add_object_vtable(bus, &s->slot, SYNC1_PATH, SYNC1_IFACE, sync1_vtable, s);
        if (r < 0) {
                *ret_error = r;
                sync1_bus_free(s);
                return NULL;
        }
        sync_engine_add_listener(engine, &engine_listener, s);
        s->listening = TRUE;
        return s;
}

void sync1_bus_free(Sync1Bus *s)
{
        if (!s)
                return;
        if (s->listening)
                sync_engine_remove_listener(s->engine, &engine_listener, s);
        sd_bus_slot_unref(s->slot);
        sd_bus_unref(s->bus);
        g_free(s);
}

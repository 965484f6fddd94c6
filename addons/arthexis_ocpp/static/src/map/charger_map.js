/** @odoo-module **/
// The chargers map: one pin per charger with coordinates, coloured like the
// dashboard's badges, reloaded when a bridge delivers events. Leaflet is
// vendored in static/lib/leaflet and loaded the first time the map opens: no
// CDN, so it works on a closed network, and the backend bundle stays small.
// Chargers are read with the ORM, so the user's companies and record rules apply.

import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { loadCSS, loadJS } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const LEAFLET = "/arthexis_ocpp/static/lib/leaflet";
const RELOAD_EVERY_MS = 2000;
const PIN_SIZE = 18;
// A charger without coordinates has both at 0: it is left off the map and counted.
const PLACED = ["|", ["latitude", "!=", 0], ["longitude", "!=", 0]];
const FIELDS = [
    "display_name",
    "charge_point_id",
    "status",
    "status_colour",
    "connector_badges",
    "active_power_kw",
    "is_online",
    "latitude",
    "longitude",
];

export class ChargerMap extends Component {
    static template = "arthexis_ocpp.ChargerMap";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.bus = useService("bus_service");
        this.mapRef = useRef("map");
        this.state = useState({ placed: 0, unplaced: 0 });
        this.markers = null;
        this.fitted = false;

        onWillStart(async () => {
            const [tiles, fields] = await Promise.all([
                this.orm.call("ocpp.charger.map", "tile_layer", []),
                this.orm.call("ocpp.charger", "fields_get", [["status"]], {
                    attributes: ["selection"],
                }),
                loadJS(`${LEAFLET}/leaflet.js`),
                loadCSS(`${LEAFLET}/leaflet.css`),
            ]);
            this.tiles = tiles;
            this.statusLabels = Object.fromEntries(fields.status.selection);
            this.chargers = await this.fetchChargers();
        });
        onMounted(() => {
            this.createMap();
            this.draw();
        });

        let timer = null;
        const reload = () => {
            if (!timer) {
                timer = setTimeout(async () => {
                    timer = null;
                    this.chargers = await this.fetchChargers();
                    if (this.map) {
                        this.draw();
                    }
                }, RELOAD_EVERY_MS);
            }
        };
        this.bus.subscribe("arthexis_ocpp/chargers_changed", reload);
        onWillUnmount(() => {
            this.bus.unsubscribe("arthexis_ocpp/chargers_changed", reload);
            clearTimeout(timer);
            if (this.map) {
                this.map.remove();
                this.map = null;
            }
        });
    }

    async fetchChargers() {
        const [chargers, total] = await Promise.all([
            this.orm.searchRead("ocpp.charger", PLACED, FIELDS, { order: "charge_point_id" }),
            this.orm.searchCount("ocpp.charger", []),
        ]);
        this.state.placed = chargers.length;
        this.state.unplaced = total - chargers.length;
        return chargers;
    }

    createMap() {
        const L = window.L;
        this.map = L.map(this.mapRef.el, { worldCopyJump: true });
        if (this.tiles.url) {
            L.tileLayer(this.tiles.url, {
                attribution: this.tiles.attribution,
                maxZoom: 19,
            }).addTo(this.map);
        }
        this.markers = L.featureGroup().addTo(this.map);
        this.map.setView([20, 0], 2);
    }

    draw() {
        const L = window.L;
        this.markers.clearLayers();
        for (const charger of this.chargers) {
            L.marker([charger.latitude, charger.longitude], {
                icon: L.divIcon({
                    className: "o_ocpp_map_pin_icon",
                    html: this.pin(charger),
                    iconSize: [PIN_SIZE, PIN_SIZE],
                    popupAnchor: [0, -PIN_SIZE / 2],
                }),
                title: charger.display_name,
                alt: charger.display_name,
            })
                .bindPopup(() => this.popup(charger))
                .addTo(this.markers);
        }
        // Fit the chargers once; later reloads keep where the user has moved to.
        if (!this.fitted && this.chargers.length) {
            this.map.fitBounds(this.markers.getBounds(), { padding: [40, 40], maxZoom: 16 });
            this.fitted = true;
        }
    }

    pin(charger) {
        const pin = document.createElement("span");
        pin.className = `o_ocpp_map_pin d-block rounded-circle border border-2 border-white shadow text-bg-${charger.status_colour}`;
        if (!charger.is_online) {
            pin.classList.add("o_ocpp_map_pin_offline");
        }
        pin.dataset.chargerId = charger.id;
        return pin;
    }

    popup(charger) {
        const box = document.createElement("div");
        box.className = "o_ocpp_map_popup";
        const title = document.createElement("div");
        title.className = "fw-bold fs-6";
        title.textContent = charger.display_name;
        const status = document.createElement("span");
        status.className = `badge text-bg-${charger.status_colour} ms-2`;
        status.textContent = this.statusLabels[charger.status] || charger.status;
        title.append(status);
        box.append(title);
        const line = document.createElement("div");
        line.className = "text-muted small";
        line.textContent = charger.is_online
            ? charger.charge_point_id
            : `${charger.charge_point_id} · ${_t("offline")}`;
        box.append(line);
        if (charger.connector_badges) {
            // Built by the server (ocpp.charger._compute_connector_badges), values escaped.
            const connectors = document.createElement("div");
            connectors.className = "my-1";
            connectors.innerHTML = charger.connector_badges;
            box.append(connectors);
        }
        if (charger.active_power_kw) {
            const power = document.createElement("div");
            power.textContent = _t("Charging at %(power)s kW", {
                power: formatFloat(charger.active_power_kw, { digits: [16, 1] }),
            });
            box.append(power);
        }
        const open = document.createElement("a");
        open.href = "#";
        open.className = "o_ocpp_map_open d-inline-block mt-1";
        open.textContent = _t("Open charger");
        open.addEventListener("click", (ev) => {
            ev.preventDefault();
            this.openCharger(charger.id);
        });
        box.append(open);
        return box;
    }

    openCharger(id) {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "ocpp.charger",
            res_id: id,
            views: [[false, "form"]],
        });
    }

    openDashboard() {
        return this.actionService.doAction("arthexis_ocpp.action_ocpp_charger_dashboard");
    }
}

registry.category("actions").add("arthexis_ocpp.charger_map", ChargerMap);

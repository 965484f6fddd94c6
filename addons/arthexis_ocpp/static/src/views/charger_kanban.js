/** @odoo-module **/
// The chargers dashboard: a kanban that reloads itself when a bridge delivers
// events, at most once every two seconds.

import { onWillUnmount } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { registry } from "@web/core/registry";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { kanbanView } from "@web/views/kanban/kanban_view";

const RELOAD_EVERY_MS = 2000;

export class ChargerKanbanController extends KanbanController {
    setup() {
        super.setup();
        const bus = useService("bus_service");
        let timer = null;
        const reload = () => {
            if (!timer) {
                timer = setTimeout(() => {
                    timer = null;
                    this.model.load();
                }, RELOAD_EVERY_MS);
            }
        };
        bus.subscribe("arthexis_ocpp/chargers_changed", reload);
        onWillUnmount(() => {
            bus.unsubscribe("arthexis_ocpp/chargers_changed", reload);
            clearTimeout(timer);
        });
    }
}

registry.category("views").add("ocpp_charger_kanban", {
    ...kanbanView,
    Controller: ChargerKanbanController,
});

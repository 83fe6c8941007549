"""Your devices: where push notifications go."""

from flask.views import MethodView

from api.database import commit, db_session
from api.devices.schemas import DeviceCreateSchema, DeviceSchema
from api.extensions import Blueprint, current_user, runtime
from api.pagination import fetch_page
from youthapp.clock import utcnow
from youthapp.services import devices

blp = Blueprint(
    "devices",
    __name__,
    url_prefix="/api/v1/me/devices",
    description="Your devices, for push notifications",
)


@blp.route("")
class MyDevices(MethodView):
    @blp.login_required
    @blp.idempotent
    @blp.arguments(DeviceCreateSchema)
    @blp.response(201, DeviceSchema)
    @blp.alt_response(
        200,
        schema=DeviceSchema,
        success=True,
        description="The same token again: the same device, seen again",
    )
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Register this device for push notifications (again on every app start)."""
        device, created = devices.register(
            db_session(),
            current_user(),
            **data,
            now=utcnow(),
            allow_loopback=runtime().settings.webpush_allow_loopback,
        )
        commit()
        return device, 201 if created else 200

    @blp.login_required
    @blp.response(200, DeviceSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Your devices, most recently seen first."""
        return fetch_page(devices.my_devices_query(current_user()), pagination_parameters)


@blp.route("/<uuid:device_id>")
class MyDeviceById(MethodView):
    @blp.login_required
    @blp.response(204)
    def delete(self, device_id):
        """Stop push notifications to a device (as when signing out on it)."""
        devices.remove(db_session(), current_user(), device_id, now=utcnow())
        commit()

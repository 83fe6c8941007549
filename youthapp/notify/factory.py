"""The push senders the settings ask for: none by default, so push is off until configured."""

from __future__ import annotations

from youthapp.config import ConfigurationError, Settings
from youthapp.notify.senders import PushSender


def senders_from_settings(settings: Settings) -> list[PushSender]:
    """Web Push when a VAPID key and subject are set; FCM (Android and iOS) when a project
    id and service-account file are set. A key or file that cannot be used stops start-up
    here, rather than failing each push later."""
    senders: list[PushSender] = []
    if settings.webpush_vapid_private_key and settings.webpush_vapid_subject:
        from youthapp.notify.webpush import WebPushSender

        try:
            senders.append(
                WebPushSender(
                    vapid_private_key=settings.webpush_vapid_private_key,
                    vapid_subject=settings.webpush_vapid_subject,
                    timeout_seconds=settings.push_timeout_seconds,
                    allow_loopback=settings.webpush_allow_loopback,
                )
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
    if settings.fcm_project_id and settings.fcm_service_account_file:
        from youthapp.notify.fcm import FcmSender, ServiceAccountTokens

        try:
            tokens = ServiceAccountTokens(
                settings.fcm_service_account_file, timeout_seconds=settings.push_timeout_seconds
            )
        except (OSError, ValueError, KeyError) as exc:
            # Say which file, never what is in it (it holds a private key).
            raise ConfigurationError(
                f"FCM_SERVICE_ACCOUNT_FILE {settings.fcm_service_account_file!r} is not a "
                f"readable service-account key file ({type(exc).__name__})"
            ) from None
        senders.append(
            FcmSender(
                project_id=settings.fcm_project_id,
                token_provider=tokens,
                base_url=settings.fcm_base_url,
                timeout_seconds=settings.push_timeout_seconds,
                allow_loopback=settings.webpush_allow_loopback,
            )
        )
    return senders

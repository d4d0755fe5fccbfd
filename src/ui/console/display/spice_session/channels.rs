//! The channels of a session as spice-client-glib announces them: the display, inputs
//! and cursor channels are connected here, and their signals become [`Event`]s.

use super::*;

impl Inner {
    pub(super) fn channel_new(this: &Rc<Inner>, channel: &spice::Channel) {
        if this.closed.get() {
            return;
        }
        let kind = ChannelKind::of(channel);
        this.channels.borrow_mut().push(channel.clone());
        let weak = Rc::downgrade(this);

        channel.connect_channel_event(move |c, event| {
            let Some(inner) = weak.upgrade() else { return };
            let kind = ChannelKind::of(c.upcast_ref());
            let failed = match event {
                spice::ChannelEvent::Opened => {
                    inner.emit(Event::ChannelOpened(kind));
                    false
                }
                spice::ChannelEvent::Closed => {
                    inner.emit(Event::ChannelClosed(kind));
                    true
                }
                e => match error_kind(e) {
                    Some(k) => {
                        inner.emit(Event::Error {
                            channel: kind,
                            kind: k,
                            message: channel_error(c.upcast_ref()),
                        });
                        true
                    }
                    None => false,
                },
            };
            // Without its main channel a session is over, but spice-client-glib
            // leaves the other channels (and itself) up until told: end it, so
            // `Disconnected` follows (as virt-viewer does).
            if failed && kind == ChannelKind::Main {
                let weak = Rc::downgrade(&inner);
                glib::idle_add_local_once(move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.session.disconnect();
                    }
                });
            }
        });

        if this.fd_source.borrow().is_some() {
            let weak = Rc::downgrade(this);
            channel.connect_open_fd(move |c, tls| {
                let Some(inner) = weak.upgrade() else { return };
                let Some(source) = inner.fd_source.borrow().clone() else {
                    return;
                };
                source(FdRequest {
                    channel: Some(c.clone()),
                    session: Rc::downgrade(&inner),
                    _raw: inner.session.clone(),
                    kind: ChannelKind::of(c.upcast_ref()),
                    tls: tls != 0,
                });
            });
        }

        match kind {
            ChannelKind::Main => {
                let Ok(main) = channel.clone().downcast::<spice::MainChannel>() else {
                    return;
                };
                let w = weak_of(this);
                main.connect_main_mouse_update(move |m| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::MouseMode(mouse_mode_of(m.mouse_mode())));
                    }
                });
                let w = weak_of(this);
                main.connect_agent_connected_notify(move |m| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::AgentConnected(m.is_agent_connected()));
                    }
                });
                Inner::watch_clipboard(this, &main);
                this.main.replace(Some(main));
                // The session connects the main channel itself.
            }
            ChannelKind::Display => {
                let Ok(d) = channel.clone().downcast::<spice::DisplayChannel>() else {
                    return;
                };
                if d.channel_id() != 0 || this.display.borrow().is_some() {
                    // One monitor for now: further display channels stay closed.
                    return;
                }
                let w = weak_of(this);
                d.connect_display_primary_create(move |d| {
                    let Some(inner) = w.upgrade() else { return };
                    if let Some(p) = d.primary(0) {
                        inner.emit(Event::PrimaryCreated {
                            width: p.width() as i32,
                            height: p.height() as i32,
                        });
                    }
                });
                let w = weak_of(this);
                d.connect_display_primary_destroy(move |_| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::PrimaryDestroyed);
                    }
                });
                let w = weak_of(this);
                d.connect_display_invalidate(move |_, x, y, width, height| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::Invalidate(Rect {
                            x,
                            y,
                            width,
                            height,
                        }));
                    }
                });
                let w = weak_of(this);
                d.connect_display_mark(move |_, mark| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::Mark(mark != 0));
                    }
                });
                this.display.replace(Some(d.clone()));
                ChannelExt::connect(&d);
            }
            ChannelKind::Inputs => {
                let Ok(i) = channel.clone().downcast::<spice::InputsChannel>() else {
                    return;
                };
                this.inputs.replace(Some(i.clone()));
                ChannelExt::connect(&i);
            }
            ChannelKind::Cursor => {
                let Ok(c) = channel.clone().downcast::<spice::CursorChannel>() else {
                    return;
                };
                let w = weak_of(this);
                c.connect_cursor_notify(move |c| {
                    let Some(inner) = w.upgrade() else { return };
                    if let Some(img) = cursor_image(c) {
                        inner.emit(Event::Cursor(img));
                    }
                });
                let w = weak_of(this);
                c.connect_cursor_hide(move |_| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::CursorHidden);
                    }
                });
                let w = weak_of(this);
                c.connect_cursor_reset(move |_| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::CursorReset);
                    }
                });
                let w = weak_of(this);
                c.connect_cursor_move(move |_, x, y| {
                    if let Some(inner) = w.upgrade() {
                        inner.emit(Event::CursorMoved { x, y });
                    }
                });
                this.cursor.replace(Some(c.clone()));
                ChannelExt::connect(&c);
            }
            ChannelKind::Playback => {
                if let Ok(p) = channel.clone().downcast::<spice::PlaybackChannel>() {
                    p.set_mute(this.muted.get());
                    let w = weak_of(this);
                    p.connect_playback_start(move |_, _format, _channels, _rate| {
                        if let Some(inner) = w.upgrade() {
                            inner.playing.set(true);
                            inner.emit(Event::Playback(true));
                        }
                    });
                    let w = weak_of(this);
                    p.connect_playback_stop(move |_| {
                        if let Some(inner) = w.upgrade() {
                            inner.playing.set(false);
                            inner.emit(Event::Playback(false));
                        }
                    });
                }
            }
            // Playback/record are connected by `spice_audio_get`, usbredir channels by
            // the USB device manager; the rest are not a console's.
            _ => {}
        }
    }
}

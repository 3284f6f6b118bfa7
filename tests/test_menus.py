"""What the buttons do on each screen (the controller), and the keyboard standing in for
them in the simulation window."""

import pytest

from detector.hw.buttons import ButtonEvent
from detector.hw.clock import SimClock
from detector.locations import load_locations
from detector.session.menus import Action, Controller


def press(c: Controller, name: str) -> list[Action]:
    long = name.endswith("-long")
    return c.press(ButtonEvent(0, name.removesuffix("-long"), long))


@pytest.fixture
def controller():
    return Controller(load_locations(), {"Door": None, "Vents": None})


def test_check_in_picks_a_location_or_scans(controller):
    assert press(controller, "select") == [Action("scan-qr")]
    assert controller.screen == "checkin"
    press(controller, "down")
    press(controller, "down")
    actions = press(controller, "select")
    assert actions == [Action("checkin", controller.locations[1])]
    assert controller.screen == "live"


def test_check_in_without_location_and_wraparound(controller):
    press(controller, "up")  # wraps to the last item
    assert press(controller, "select") == [Action("checkin", None)]


def test_live_view_buttons(controller):
    controller.checked_in()
    assert press(controller, "down") == [Action("next-step")]
    assert press(controller, "up") == [Action("next-step")]
    controller.awaiting_ack = True
    assert press(controller, "up") == [Action("ack")]
    assert press(controller, "up-long") == [Action("mute", True)]
    assert press(controller, "up-long") == [Action("mute", False)]
    press(controller, "select")
    assert controller.screen == "finding"
    press(controller, "down")
    assert press(controller, "select") == [Action("mark", "device")]
    assert controller.screen == "live"
    press(controller, "select")
    press(controller, "up")  # Cancel (wraps)
    assert press(controller, "select") == [] and controller.screen == "live"


def test_menu_checklist_and_end(controller):
    controller.checked_in()
    press(controller, "select-long")
    assert controller.screen == "menu"
    press(controller, "select")  # Checklist
    assert controller.screen == "checklist"
    assert press(controller, "select") == [Action("checklist", ("Door", True))]
    assert press(controller, "select") == [Action("checklist", ("Door", False))]
    assert press(controller, "select") == [Action("checklist", ("Door", True))]
    assert controller.items()[0].startswith("[yes]")
    press(controller, "select-long")
    assert controller.screen == "menu"
    press(controller, "select-long")
    assert controller.screen == "live"
    press(controller, "down-long")
    assert controller.screen == "end"
    assert controller.title() == "End? 1 checklist item(s) open"  # "Vents" is unanswered
    press(controller, "down")
    assert press(controller, "select") == [] and controller.screen == "live"
    press(controller, "down-long")
    assert press(controller, "select") == [Action("end")] and controller.screen == "result"
    assert press(controller, "down") == []
    assert press(controller, "select") == [Action("done")]


def test_keyboard_keys_are_buttons_with_long_presses():
    pygame = pytest.importorskip("pygame")
    from detector.hw.sim.keyboard import KeyboardButtons

    pygame.display.init()
    pygame.display.set_mode((8, 8))
    try:
        wall = [100.0]
        clock = SimClock()
        buttons = KeyboardButtons(clock, start_ns=clock.start_ns, hold_s=0.8,
                                  wall=lambda: wall[0])
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_RETURN))
        assert [e.name for e in buttons.poll()] == ["select"]
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_DOWN))
        assert buttons.poll() == []
        wall[0] += 1.0  # still held after 1 s: a long press, once
        assert [e.name for e in buttons.poll()] == ["down-long"]
        assert buttons.poll() == []
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_DOWN))
        assert buttons.poll() == []  # the release of a long press is not another press
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a))
        assert buttons.poll() == []
    finally:
        pygame.display.quit()

import Foundation
import Mustache

/// What the layout shows around every page: the catalog texts (`t`), the title and language, and for
/// a signed-in viewer the CSRF token, the name and the menu; the message box when there is one.
struct PageFrame {
    let t: [String: String]
    let title: String
    let lang: String
    let signedIn: Bool
    let csrf: String
    let whoami: String
    let menu: [MenuSection]
    let message: MessageView?
}

/// A heading of the menu and its entries ("Administration", "User settings").
struct MenuSection {
    let label: String
    let items: [MenuItem]
}

struct MenuItem {
    let id: String
    let href: String
    let label: String
    let active: Bool
}

/// A flash message as the layout shows it, its title already translated.
struct MessageView {
    let ok: Bool
    let title: String
    let details: [String]
    let hasDetails: Bool

    init(_ flash: Flash, strings: [String: String]) {
        ok = flash.ok
        title = strings[flash.title] ?? flash.title
        details = flash.details
        hasDetails = !flash.details.isEmpty
    }
}

/// A checkbox of a list of them: a group to join, an action to allow, a password rule.
struct ChoiceView {
    let value: String
    let label: String
    let checked: Bool
}

/// One `<option>` of a select.
struct OptionView {
    let value: String
    let label: String
    let selected: Bool

    /// The options of a select, the current one marked. A current value the list lacks (a time zone
    /// this system does not know) is kept as its own option, so saving the form does not silently change it.
    static func list(_ pairs: [(String, String)], selected: String) -> [OptionView] {
        let all = selected.isEmpty || pairs.contains { $0.0 == selected } ? pairs : pairs + [(selected, selected)]
        return all.map { OptionView(value: $0.0, label: $0.1, selected: $0.0 == selected) }
    }

    /// The time zones this system knows, after the `first` choice ("default" or "system").
    static func timeZones(first: (String, String), selected: String) -> [OptionView] {
        list([first] + knownTimeZones.map { ($0, $0) }, selected: selected)
    }

    private static let knownTimeZones = TimeZone.knownTimeZoneIdentifiers.sorted()
}

/// A template's context made of views: a name is looked up in the last view first, then in the ones
/// before it (the page's view over the list table over the frame), as Mustache's own context stack
/// does. The views' stored properties are read once, when the context is made.
struct LayeredContext: MustacheParent {
    private let values: [String: Any]

    init(layers: [Any]) {
        var values: [String: Any] = [:]
        for layer in layers {
            for child in Mirror(reflecting: layer).children {
                guard let name = child.label, let value = Self.unwrapped(child.value) else { continue }
                values[name] = value
            }
        }
        self.values = values
    }

    func child(named name: String) -> Any? { values[name] }

    /// A property's value; nil when it holds nil (so a lower view's property of that name shows through).
    private static func unwrapped(_ value: Any) -> Any? {
        let optional = Mirror(reflecting: value)
        guard optional.displayStyle == .optional else { return value }
        return optional.children.first?.value
    }
}

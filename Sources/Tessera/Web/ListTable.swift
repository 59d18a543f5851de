import Foundation

/// The table of a list page (API tokens, users, user roles, user groups): sortable column headers, one
/// page of rows, the page links and the "Displaying … found" summary. The sort column, its order and the
/// page are remembered per user under the page's profile prefix, and changed by `?sort=`, `?sortorder=`
/// and `?page=` (a filter form sets `page` back to 1 itself).
struct ListTable<Row> {
    /// A column: its catalog label, and the sort key when the list sorts by it.
    struct Column: Sendable {
        let label: String
        let sortKey: String?

        static func sorted(_ label: String, by key: String) -> Column { Column(label: label, sortKey: key) }
        static func plain(_ label: String) -> Column { Column(label: label, sortKey: nil) }
    }

    /// How one list is shown: where it lives, its columns and how rows compare for each sort key.
    struct Layout: Sendable {
        let base: String
        let profilePrefix: String
        let columns: [Column]
        let defaultSort: String
        /// Whether `a` comes before `b` in ascending order of `key`.
        let precedes: @Sendable (_ key: String, _ a: Row, _ b: Row) -> Bool

        var sortKeys: [String] { columns.compactMap(\.sortKey) }

        /// What a request's query changes in the remembered sorting and page; a sort key the list
        /// lacks, an order other than ASC and DESC or a page that is no positive number is refused
        /// before anything is remembered.
        func profileChanges(_ query: ListQuery, viewer: Viewer) throws(WebFailure) -> [String: String?] {
            if let sort = query.sort, !sortKeys.contains(sort) {
                throw .invalid(viewer.t("field_value_choice", "sort", sortKeys.joined(separator: ", ")))
            }
            if let order = query.sortorder, order != "ASC", order != "DESC" {
                throw .invalid(viewer.t("field_value_choice", "sortorder", "ASC, DESC"))
            }
            var updates: [String: String?] = [:]
            if let sort = query.sort {
                updates[profilePrefix + "sort"] = sort
                updates[profilePrefix + "sortorder"] = query.sortorder ?? "ASC"
            }
            if let text = query.page {
                guard let page = Int32(text), page > 0 else { throw .invalid(viewer.t("field_value_range", "page", "1", String(Int32.max))) }
                updates[profilePrefix + "page"] = String(page)
            }
            return updates
        }
    }

    /// A column header: sortable ones link to sorting by them, the current one shows its order.
    struct Header {
        let label: String
        let sortable: Bool
        let key: String
        let current: Bool
        let order: String
        let href: String
    }

    struct PageLink {
        let number: Int
        let href: String
        let current: Bool
    }

    /// What the `list_headers` and `list_paging` templates show.
    struct View {
        let columns: [Header]
        let columnCount: Int
        let pages: [PageLink]
        let hasPages: Bool
        let summary: String
    }

    let shown: [Row]
    let view: View

    /// Sorts `rows` as remembered in `stored`, keeps the first `limit` (the search limit: more are
    /// counted as "N+"), and takes the remembered page of `perPage` rows.
    init(_ rows: [Row], _ layout: Layout, stored: [String: String], limit: Int, perPage: Int, viewer: Viewer) {
        let prefix = layout.profilePrefix
        let sortKey = stored[prefix + "sort"].flatMap { layout.sortKeys.contains($0) ? $0 : nil } ?? layout.defaultSort
        let order = stored[prefix + "sortorder"] == "DESC" ? "DESC" : "ASC"
        var sorted = rows.sorted { layout.precedes(sortKey, $0, $1) }
        if order == "DESC" { sorted.reverse() }
        let total = min(sorted.count, limit)
        let pageCount = max(1, (total + perPage - 1) / perPage)
        let page = min(max(1, Int(stored[prefix + "page"] ?? "1") ?? 1), pageCount)
        shown = Array(sorted.prefix(limit).dropFirst((page - 1) * perPage).prefix(perPage))
        let totalText = sorted.count > limit ? "\(total)+" : "\(total)"
        let summary =
            pageCount == 1
            ? viewer.t("displaying_one_page", String(shown.count), totalText)
            : viewer.t("displaying_range", String((page - 1) * perPage + 1), String((page - 1) * perPage + shown.count), totalText)
        let columns = layout.columns.map { column in
            let current = column.sortKey == sortKey
            let next = current && order == "ASC" ? "DESC" : "ASC"
            return Header(
                label: viewer.t(column.label),
                sortable: column.sortKey != nil,
                key: column.sortKey ?? "",
                current: current,
                order: order,
                href: "\(layout.base)?sort=\(column.sortKey ?? "")&sortorder=\(next)"
            )
        }
        let pages = pageCount > 1 ? (1...pageCount).map { PageLink(number: $0, href: "\(layout.base)?page=\($0)", current: $0 == page) } : []
        view = View(columns: columns, columnCount: columns.count + 1, pages: pages, hasPages: !pages.isEmpty, summary: summary)
    }

    /// Natural, case-insensitive order of texts (as Zabbix's lists sort names).
    static func naturally(_ a: String, _ b: String) -> Bool { a.localizedStandardCompare(b) == .orderedAscending }
}

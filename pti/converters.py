class ExportFormatConverter:
    """The formats a list can be downloaded in: /export.csv or /export.xlsx."""

    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value

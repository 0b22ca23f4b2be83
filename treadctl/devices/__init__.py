"""Device knowledge: how real treadmills deviate from FTMS, as data.

Shape::

    deviations.Deviations        the closed vocabulary, one typed field per deviation
    knowledge.KnowledgeBase      resources/devices.toml: entries matched by name and Device
                                 Information, each with its deviations, sources and certainty

Both the link (which copes with the deviations) and the virtual treadmill (which emulates them)
read this package; it does no I/O beyond reading the knowledge file, and imports nothing of
the app but ``protocols`` and the error base. Import from the modules.
"""

# gone

// the block defaults to latest
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}

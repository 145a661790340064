// the next block's base fee (below genesis's, as it was empty) plus the 1 gwei tip
>> {"jsonrpc":"2.0","id":1,"method":"eth_gasPrice"}
<< {"jsonrpc":"2.0","id":1,"result":"0x6fc23ac0"}
